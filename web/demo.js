// The demo pages' own "Chat with an assistant" button, scripted with the widget's API as a web
// team would (docs/embedding.md). Deferred after the widget's script, so RasaChat is defined by
// now; if the widget did not load (blocked, or its file did not match its hash) the button
// stays hidden rather than doing nothing.
if (window.RasaChat && window.RasaChat.version) {
  document.querySelectorAll("[data-chat-open]").forEach((button) => {
    button.addEventListener("click", () => window.RasaChat.open());
    button.hidden = false;
  });
}
