/*
 * Rasa chat widget: an accessible web chat for Rasa's socket.io channel.
 *
 * Embed with one tag (the README section "Embedding the chat widget" lists every option):
 *   <script src="/widget/rasa-chat.js" data-server-url="https://chat.example.edu" defer></script>
 *
 * data- options: data-server-url, data-title, data-greeting-payload, data-primary-color,
 * data-position, data-open-on-load, data-socket-path, data-socketio-src, and
 *   data-session-minutes (default 60): after this many minutes with no message sent or
 *     received, the transcript and session id kept in this browser are deleted and the next
 *     visit starts a new conversation (shared computers). Keep it equal to Rasa's
 *     session_expiration_time in domain.yml. Fractions are allowed (tests use seconds).
 *
 * Plain JavaScript, no framework. Loads rasa-chat.css (next to this file) and
 * socket.io-client (from ../node_modules/ unless data-socketio-src says otherwise).
 * Message text is never parsed as HTML: every node is built with the DOM API.
 */
(() => {
  "use strict";

  const script = document.currentScript;
  // Guard against a page embedding the widget twice.
  if (!script || window.__rasaChatLoaded) return;
  window.__rasaChatLoaded = true;

  const REPLY_TIMEOUT_MS = 10000;
  const MAX_STORED_MESSAGES = 150;
  const DEFAULT_COLOR = "#0b5cad";
  const BOT_BUBBLE_BG = "#eef1f5"; // keep in sync with .rcw-bot .rcw-bubble in rasa-chat.css
  const DARK_TEXT = "#1b1f24";
  const DEFAULT_SESSION_MINUTES = 60;
  const EXPIRY_CHECK_MS = 60000; // re-check at least this often: timers stall while a computer sleeps

  const data = script.dataset;
  const config = {
    serverUrl: (data.serverUrl || "http://127.0.0.1:5005").replace(/\/+$/, ""),
    socketPath: data.socketPath || "/socket.io/",
    title: data.title || "Chat with us",
    // An explicit empty data-greeting-payload="" disables the automatic greeting.
    greeting: data.greetingPayload != null ? data.greetingPayload.trim() : "/greet",
    color: /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(data.primaryColor || "") ? data.primaryColor : DEFAULT_COLOR,
    openOnLoad: data.openOnLoad === "true",
    position: data.position === "bottom-left" ? "bottom-left" : "bottom-right",
    socketioSrc: data.socketioSrc || new URL("../node_modules/socket.io-client/dist/socket.io.min.js", script.src).href,
    stylesheet: new URL("rasa-chat.css", script.src).href,
    sessionMs: (positiveNumber(data.sessionMinutes) || DEFAULT_SESSION_MINUTES) * 60000,
  };

  function positiveNumber(text) {
    const value = Number(text);
    return text && isFinite(value) && value > 0 ? value : 0;
  }

  /* ---------- Persistence: session id + transcript survive reloads and page changes ---------- */

  // ...but only while the conversation is in use: on a shared computer the next student must
  // not see (or continue) the previous one's chat. lastActivity = last message sent or received.
  const STORAGE_KEY = "rasa-chat:" + config.serverUrl;
  const freshState = () => ({ sessionId: null, greeted: false, open: false, messages: [], lastActivity: 0 });

  function readStored() {
    try {
      const saved = JSON.parse(localStorage.getItem(STORAGE_KEY));
      if (saved && Array.isArray(saved.messages)) return Object.assign(freshState(), saved);
    } catch (e) {
      // Storage blocked or corrupt: fall through to an in-memory conversation.
    }
    return null;
  }

  const hasConversation = (s) => Boolean(s.sessionId || s.messages.length || s.greeted);

  // A conversation without a timestamp was stored before expiry existed: its age is unknown,
  // so it counts as expired. A timestamp far in the future (clock changed) is not trusted either.
  function isExpired(s) {
    if (!hasConversation(s)) return false;
    const age = Date.now() - (Number(s.lastActivity) || 0);
    return age >= config.sessionMs || age < -EXPIRY_CHECK_MS;
  }

  function removeStored() {
    try {
      localStorage.removeItem(STORAGE_KEY);
    } catch (e) {
      // Storage blocked: nothing was kept.
    }
  }

  function loadState() {
    const saved = readStored();
    if (saved && !isExpired(saved)) return saved;
    if (saved) removeStored();
    return freshState();
  }

  function saveState() {
    state.messages = state.messages.slice(-MAX_STORED_MESSAGES);
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    } catch (e) {
      // Private mode / quota: the chat still works, it just won't persist.
    }
  }

  let state = loadState();

  /* ---------- Colours: derive readable foregrounds from the configured primary colour ---------- */

  function luminance(hex) {
    let h = hex.slice(1);
    if (h.length === 3) h = h.replace(/./g, "$&$&");
    const [r, g, b] = [0, 2, 4].map((i) => {
      const c = parseInt(h.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }

  function contrast(a, b) {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  }

  // Text on primary-coloured surfaces: whichever of white/dark reads better.
  const onPrimary = contrast(config.color, "#ffffff") >= contrast(config.color, DARK_TEXT) ? "#ffffff" : DARK_TEXT;
  // Links and quick-reply text sit on light surfaces: use the brand colour only if it meets WCAG AA there.
  const accent = contrast(config.color, BOT_BUBBLE_BG) >= 4.5 ? config.color : DARK_TEXT;

  /* ---------- DOM helpers ---------- */

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    });
    (children || []).forEach((child) => node.append(child));
    return node;
  }

  const srOnly = (text) => el("span", { class: "rcw-sr", text });

  const ICON_CHAT =
    '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false"><path fill="currentColor" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z"/></svg>';
  const ICON_CLOSE =
    '<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false"><path fill="currentColor" d="M18.3 5.7a1 1 0 0 0-1.4 0L12 10.6 7.1 5.7a1 1 0 0 0-1.4 1.4l4.9 4.9-4.9 4.9a1 1 0 1 0 1.4 1.4l4.9-4.9 4.9 4.9a1 1 0 0 0 1.4-1.4L13.4 12l4.9-4.9a1 1 0 0 0 0-1.4z"/></svg>';

  // Only constant, trusted markup (the icons) is ever assigned as HTML.
  function iconButton(attrs, svg) {
    const button = el("button", Object.assign({ type: "button" }, attrs));
    button.innerHTML = svg;
    return button;
  }

  /* ---------- Rendering the small Markdown subset bot responses use ---------- */

  // **bold**, [label](url) and bare http(s) URLs (trailing punctuation excluded).
  const INLINE = /\*\*(.+?)\*\*|\[([^\]]+)\]\(([^)\s]+)\)|(https?:\/\/[^\s<>]*[^\s<>.,;:!?)'"])/g;

  function link(label, href) {
    if (!/^(https?:|mailto:|tel:)/i.test(href)) return document.createTextNode(label);
    return el("a", { href, target: "_blank", rel: "noopener" }, [label, srOnly(" (opens in a new tab)")]);
  }

  // Builds text nodes, <strong>, <a> and <br>; never innerHTML.
  function renderRichText(text, parent) {
    text.split("\n").forEach((line, index) => {
      if (index) parent.append(el("br"));
      let last = 0;
      for (const match of line.matchAll(INLINE)) {
        parent.append(line.slice(last, match.index));
        if (match[1] !== undefined) parent.append(el("strong", { text: match[1] }));
        else parent.append(link(match[2] || match[4], match[3] || match[4]));
        last = match.index + match[0].length;
      }
      parent.append(line.slice(last));
    });
  }

  // The same text as a screen reader should hear it in an announcement.
  const plainText = (text) => text.replace(INLINE, (m, bold, label, href, url) => bold || label || url);

  /* ---------- Widget skeleton ---------- */

  const launcher = iconButton(
    { class: "rcw-launcher", "aria-label": "Open chat: " + config.title, "aria-expanded": "false", "aria-controls": "rcw-panel" },
    ICON_CHAT
  );
  const title = el("h2", { class: "rcw-title", id: "rcw-title", text: config.title });
  const restartButton = el("button", { type: "button", class: "rcw-restart", text: "Start over" });
  const closeButton = iconButton({ class: "rcw-close", "aria-label": "Close chat" }, ICON_CLOSE);
  const log = el("div", { class: "rcw-log", role: "log", "aria-live": "off", "aria-label": "Conversation", tabindex: "0" });
  const notice = el("div", { class: "rcw-notice", role: "alert" });
  const input = el("input", {
    id: "rcw-input", class: "rcw-input", type: "text", autocomplete: "off", maxlength: "500",
    placeholder: "Type your question…",
  });
  const form = el("form", { class: "rcw-form" }, [
    el("label", { for: "rcw-input", class: "rcw-sr", text: "Your message" }),
    input,
    el("button", { type: "submit", class: "rcw-send", text: "Send" }),
  ]);
  const panel = el("div", { class: "rcw-panel", id: "rcw-panel", role: "dialog", "aria-labelledby": "rcw-title", hidden: "" }, [
    el("div", { class: "rcw-header" }, [title, restartButton, closeButton]),
    log,
    notice,
    form,
  ]);
  // Bot messages are announced here rather than through the log, so restored history and
  // the user's own messages are not read out again.
  const announcer = el("div", { class: "rcw-sr", "aria-live": "polite" });
  const typing = el("div", { class: "rcw-msg rcw-bot rcw-typing" }, [
    el("div", { class: "rcw-bubble" }, [
      el("span", { class: "rcw-dot" }), el("span", { class: "rcw-dot" }), el("span", { class: "rcw-dot" }),
      srOnly("The assistant is typing"),
    ]),
  ]);
  const root = el("aside", { class: "rcw-root rcw-" + config.position, "aria-label": "Chat assistant" }, [launcher, panel, announcer]);
  root.style.setProperty("--rcw-primary", config.color);
  root.style.setProperty("--rcw-on-primary", onPrimary);
  root.style.setProperty("--rcw-accent", accent);

  /* ---------- Transcript ---------- */

  function renderMessage(message) {
    const bubble = el("div", { class: "rcw-bubble" });
    if (message.who === "bot") renderRichText(message.text, bubble);
    else bubble.textContent = message.text;
    const node = el("div", { class: "rcw-msg rcw-" + message.who }, [
      srOnly(message.who === "bot" ? "Assistant said:" : "You said:"),
    ]);
    if (message.text) node.append(bubble);
    if (message.buttons && message.buttons.length) {
      // Quick replies stay clickable for the life of the transcript, not just on the last message.
      node.append(el("div", { class: "rcw-replies", role: "group", "aria-label": "Suggested replies" },
        message.buttons.map((button) => {
          const choice = el("button", { type: "button", class: "rcw-reply", text: button.title });
          choice.addEventListener("click", () => {
            send(button.payload, button.title);
            input.focus();
          });
          return choice;
        })));
    }
    log.insertBefore(node, typing.parentNode ? typing : null);
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function addMessage(message) {
    state.messages.push(message);
    saveState();
    renderMessage(message);
    scrollToEnd();
    if (message.who === "bot") {
      const options = message.buttons.length ? " Suggested replies: " + message.buttons.map((b) => b.title).join(", ") + "." : "";
      announcer.append(el("p", { text: "Assistant: " + plainText(message.text) + options }));
    }
  }

  function setTyping(on) {
    if (on) log.append(typing);
    else typing.remove();
    scrollToEnd();
  }

  function showError(text) {
    clearTimeout(replyTimer);
    waiting = false;
    setTyping(false);
    const retry = el("button", { type: "button", class: "rcw-retry", text: "Retry" });
    retry.addEventListener("click", () => {
      clearError();
      if (pending) deliver();
      else connect();
      input.focus();
    });
    notice.replaceChildren(el("p", { text }), retry);
  }

  function clearError() {
    notice.replaceChildren();
  }

  /* ---------- Talking to Rasa over socket.io ---------- */

  let socket = null;
  let ready = false; // true once the server has confirmed our session id
  let pending = null; // { payload, label, sent } awaiting the bot's reply
  let replyTimer = 0;
  let waiting = false; // a message is out and its reply not yet in (or timed out)
  const UNREACHABLE = "We can't reach the chat service right now. Please check your connection and try again.";

  let socketIoLoaded = null; // promise for the socket.io client script, loaded on first use

  function loadSocketIo() {
    if (window.io) return Promise.resolve();
    socketIoLoaded = socketIoLoaded || new Promise((resolve, reject) => {
      const tag = el("script", { src: config.socketioSrc });
      tag.onload = resolve;
      tag.onerror = () => {
        tag.remove();
        socketIoLoaded = null; // let Retry load it again
        reject();
      };
      document.head.append(tag);
    });
    return socketIoLoaded;
  }

  function connect() {
    if (socket) {
      if (!socket.connected) socket.connect();
      return;
    }
    loadSocketIo().then(() => {
      if (socket) return; // another call got here first
      // Reconnection is driven by the widget (on send / Retry) so failures are always visible.
      socket = window.io(config.serverUrl, { path: config.socketPath, reconnection: false, timeout: REPLY_TIMEOUT_MS });
      socket.on("connect", () => socket.emit("session_request", { session_id: state.sessionId }));
      socket.on("session_confirm", onSessionConfirm);
      socket.on("bot_uttered", onBotMessage);
      socket.on("connect_error", () => showError(UNREACHABLE));
      socket.on("disconnect", () => {
        ready = false;
        if (pending) showError("The connection to the chat service was lost. Please try again.");
      });
    }, () => showError(UNREACHABLE));
  }

  function onSessionConfirm(confirmed) {
    const sessionId = typeof confirmed === "string" ? confirmed : confirmed && confirmed.session_id;
    if (!sessionId) return;
    // A different id than the one asked for: the server would not continue the stored
    // conversation (unknown, forged or expired id), so its transcript no longer applies.
    const replaced = Boolean(state.sessionId) && state.sessionId !== sessionId;
    if (replaced) {
      state = Object.assign(freshState(), { open: state.open });
      log.replaceChildren();
      announcer.replaceChildren();
      // A question typed before the answer came stays and goes to the new conversation.
      if (pending && pending.label) addMessage({ who: "user", text: pending.label });
      if (pending) setTyping(true);
    }
    if (state.sessionId !== sessionId) {
      state.sessionId = sessionId;
      touch(); // a new conversation starts its idle clock now
      saveState();
    }
    ready = true;
    if (pending && !pending.sent) emitPending();
    // Otherwise greet as on a first visit (if closed, open() will).
    else if (replaced && !pending && !panel.hidden && config.greeting) send(config.greeting, null);
  }

  function emitPending() {
    pending.sent = true;
    socket.emit("user_uttered", {
      message: pending.payload,
      session_id: state.sessionId,
      customData: { language: document.documentElement.lang || "en", page: location.pathname },
    });
  }

  // Sends `payload` to the bot; `label` is what the transcript shows (none for the greeting).
  function send(payload, label) {
    // Typed into a window left idle too long (timers stall in sleep): a new conversation.
    if (!waiting && idleExpired()) {
      const wasOpen = state.open;
      forget();
      state.open = wasOpen;
    }
    announcer.replaceChildren(); // keep the live region to the latest replies only
    touch();
    if (label) addMessage({ who: "user", text: label });
    else saveState();
    pending = { payload, label, sent: false };
    deliver();
  }

  function deliver() {
    clearError();
    setTyping(true);
    waiting = true;
    pending.sent = false;
    clearTimeout(replyTimer);
    replyTimer = setTimeout(() => {
      showError("The assistant didn't reply. Please try again.");
    }, REPLY_TIMEOUT_MS);
    if (ready && socket.connected) emitPending();
    else connect();
  }

  function onBotMessage(message) {
    if (!message || typeof message !== "object") return;
    const buttons = (message.quick_replies || message.buttons || [])
      .filter((b) => b && b.title)
      .map((b) => ({ title: String(b.title), payload: String(b.payload != null ? b.payload : b.title) }));
    const text = typeof message.text === "string" ? message.text : "";
    if (!text && !buttons.length) return;
    pending = null;
    waiting = false;
    state.greeted = true; // any reply means the conversation has started
    touch();
    clearTimeout(replyTimer);
    clearError();
    setTyping(false);
    addMessage({ who: "bot", text, buttons });
  }

  /* ---------- Opening, closing, starting over ---------- */

  const isPhone = () => window.matchMedia("(max-width: 480px)").matches;

  function open(moveFocus) {
    if (idleExpired()) forget(); // the expiry timer may not have run yet (sleep)
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    document.documentElement.classList.add("rcw-open");
    state.open = true;
    saveState();
    scrollToEnd();
    if (moveFocus) input.focus();
    // Greet once per new session so the bot's welcome and starter buttons appear.
    if (!state.greeted && config.greeting && !pending) send(config.greeting, null);
    else connect();
  }

  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    document.documentElement.classList.remove("rcw-open");
    state.open = false;
    saveState();
    launcher.focus();
  }

  // Deletes everything the widget keeps about the conversation, in memory and in storage.
  function forget() {
    clearTimeout(replyTimer);
    clearTimeout(expiryTimer);
    clearError();
    setTyping(false);
    pending = null;
    waiting = false;
    ready = false;
    state = freshState();
    removeStored();
    log.replaceChildren();
    announcer.replaceChildren();
    // A fresh socket id leaves the old session's room (no late replies from it reach this page);
    // the next connect asks for a new session because state.sessionId is now null.
    if (socket) socket.disconnect();
  }

  function restart() {
    forget();
    state.open = true;
    saveState();
    if (config.greeting) send(config.greeting, null);
    else connect();
    input.focus();
  }

  /* ---------- Expiry after config.sessionMs without a message ---------- */

  let expiryTimer = 0;

  // Another tab of the same conversation counts as activity too.
  function lastActivity() {
    const stored = readStored();
    const other = stored && stored.sessionId === state.sessionId ? Number(stored.lastActivity) || 0 : 0;
    return Math.max(Number(state.lastActivity) || 0, other);
  }

  const idleExpired = () => isExpired(Object.assign({}, state, { lastActivity: lastActivity() }));

  function scheduleExpiry() {
    clearTimeout(expiryTimer);
    if (!hasConversation(state)) return;
    const due = waiting ? 1000 : lastActivity() + config.sessionMs - Date.now() + 250;
    expiryTimer = setTimeout(expireIfIdle, Math.min(Math.max(due, 0), EXPIRY_CHECK_MS));
  }

  // Forgets an idle conversation and closes the window, so whoever sits down next starts as a
  // first-time visitor (greeting on open). Waiting for a reply is not idle. True if it expired.
  function expireIfIdle() {
    if (waiting || !idleExpired()) {
      scheduleExpiry();
      return false;
    }
    const hadFocus = root.contains(document.activeElement);
    forget();
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    document.documentElement.classList.remove("rcw-open");
    if (hadFocus) launcher.focus();
    return true;
  }

  function touch() {
    state.lastActivity = Date.now();
    scheduleExpiry();
  }

  launcher.addEventListener("click", () => open(true));
  closeButton.addEventListener("click", close);
  restartButton.addEventListener("click", restart);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text, text);
  });

  // Back on a page left alone (tab switch, screen unlock, Back button from the cache): check first.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") expireIfIdle();
  });
  window.addEventListener("focus", expireIfIdle);
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) expireIfIdle();
  });

  /* ---------- Start-up ---------- */

  function mount() {
    state.messages.forEach(renderMessage);
    scheduleExpiry();
    document.body.append(root);
    // Auto-open (configured, or the panel was open on the previous page) without stealing
    // focus, and never on phones where the panel would cover the whole page.
    if ((state.open || config.openOnLoad) && !isPhone()) open(false);
  }

  // Show the widget only once its stylesheet has loaded, so it never flashes unstyled.
  const stylesheet = el("link", { rel: "stylesheet", href: config.stylesheet });
  stylesheet.onload = stylesheet.onerror = () => {
    if (document.body) mount();
    else document.addEventListener("DOMContentLoaded", mount);
  };
  document.head.append(stylesheet);
})();
