/*
 * Rasa chat widget 1.1.1: an accessible web chat for Rasa's socket.io channel.
 *
 * Embed (docs/embedding.md) the pinned, minified build with socket.io-client built in:
 *   <script src="/dist/rasa-chat-1.1.1.min.js" integrity="sha384-…" crossorigin="anonymous"
 *           data-server-url="https://chat.example.edu" defer></script>
 * (hashes in web/dist/manifest.json; it loads rasa-chat-1.1.1.min.css next to it, pinned by its
 * own hash), or while developing this file, which loads rasa-chat.css next to it and
 * socket.io-client from ../node_modules/ (or data-socketio-src). `npm run build` makes dist/.
 *
 * data- options: data-server-url, data-title, data-greeting-payload, data-primary-color,
 * data-position, data-open-on-load, data-socket-path, data-socketio-src (this file only), and
 *   data-language: the language of the widget's own text ("es", "es-MX", "en"; a language with no
 *     table in UI_STRINGS below gets English) and the one sent to the bot with each message as
 *     customData.language. Without it both follow the page's <html lang> (default "en").
 *   data-session-minutes (default 60): after this many minutes with no message sent or
 *     received, the transcript and session id kept in this browser are deleted and the next
 *     visit starts a new conversation (shared computers). Keep it equal to Rasa's
 *     session_expiration_time in domain.yml. Fractions are allowed (tests use seconds).
 *   data-strings: a JSON object replacing UI strings (keys and English defaults: DEFAULT_STRINGS
 *     below), over the table of the widget's language. window.RasaChatConfig = {strings: {...}},
 *     set before this script runs, works too; data-strings wins over it, and data-title over
 *     strings.title. Unknown keys, non-strings and templates missing a {placeholder} are ignored
 *     with a console warning.
 *
 * JavaScript API on window, there as soon as this script has run (calls made before the widget
 * is on the page wait for it):
 *   RasaChat.open(), RasaChat.close(), RasaChat.toggle()
 *       show or hide the chat; open moves focus into it, close gives focus back to the page
 *       element that had it before open (else the launcher)
 *   RasaChat.send(text)  sends text as if typed (opens the chat first; blank text is ignored)
 *   RasaChat.on(event, handler) -> unsubscribe function; events:
 *       "message"  handler({from: "user" | "bot", text, buttons: [{title, payload}]}) for each
 *                  new message in the transcript (not for restored history)
 *       "open", "close"  each time the chat is shown or hidden (by the student, the API or expiry)
 *   RasaChat.version     "1.1.1"
 * With async loading, queue calls in an array until the script runs (RasaChat.push keeps working):
 *   (window.RasaChat = window.RasaChat || []).push(["on", "open", handler], ["open"]);
 *
 * Plain JavaScript, no framework. Message text is never parsed as HTML, and nothing is assigned
 * as HTML at all (so a Content-Security-Policy with require-trusted-types-for 'script' is fine).
 */
(() => {
  "use strict";

  const VERSION = "1.1.1"; // = "version" in web/package.json (npm run build checks)
  // Defined by the bundle (web/scripts/build-bundle.mjs): socket.io-client and the pinned stylesheet.
  const BUNDLE = typeof __rasaChatBundle === "object" ? __rasaChatBundle : null;

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
  const MAX_MESSAGE_LENGTH = 500; // the input's maxlength; RasaChat.send() keeps to it too

  // Every string the widget shows or gives to assistive technology, one table per language (same
  // keys and {placeholders} in each). Whole sentences with {placeholders}, never pieced together,
  // so that each can be translated as a unit. Spanish speaks to the student as "tú", as the bot does.
  const UI_STRINGS = {
    en: {
      title: "Chat with us",
      openChat: "Open chat: {title}",
      region: "Chat assistant",
      restart: "Start over",
      close: "Close chat",
      conversation: "Conversation",
      inputLabel: "Your message",
      placeholder: "Type your question…",
      send: "Send",
      typing: "The assistant is typing",
      botSaid: "Assistant said:",
      userSaid: "You said:",
      suggestedReplies: "Suggested replies",
      newTab: "(opens in a new tab)",
      announceBot: "Assistant: {text}",
      announceReplies: "Suggested replies: {replies}.",
      replySeparator: ", ",
      retry: "Retry",
      unreachable: "We can't reach the chat service right now. Please check your connection and try again.",
      connectionLost: "The connection to the chat service was lost. Please try again.",
      noReply: "The assistant didn't reply. Please try again.",
    },
    es: {
      title: "Chatea con nosotros",
      openChat: "Abrir el chat: {title}",
      region: "Asistente de chat",
      restart: "Empezar de nuevo",
      close: "Cerrar el chat",
      conversation: "Conversación",
      inputLabel: "Tu mensaje",
      placeholder: "Escribe tu pregunta…",
      send: "Enviar",
      typing: "El asistente está escribiendo",
      botSaid: "El asistente dijo:",
      userSaid: "Tú dijiste:",
      suggestedReplies: "Respuestas sugeridas",
      newTab: "(se abre en una pestaña nueva)",
      announceBot: "Asistente: {text}",
      announceReplies: "Respuestas sugeridas: {replies}.",
      replySeparator: ", ",
      retry: "Reintentar",
      unreachable: "No podemos conectar con el servicio de chat en este momento. Revisa tu conexión e inténtalo de nuevo.",
      connectionLost: "Se perdió la conexión con el servicio de chat. Inténtalo de nuevo.",
      noReply: "El asistente no respondió. Inténtalo de nuevo.",
    },
  };
  const DEFAULT_STRINGS = UI_STRINGS.en; // the keys and placeholders every table and override must have

  // A language tag as a table's key: "es-MX" -> "es"; a language without a table -> null.
  function tableFor(tag) {
    const primary = String(tag || "").trim().toLowerCase().split(/[-_]/)[0];
    return Object.prototype.hasOwnProperty.call(UI_STRINGS, primary) ? primary : null;
  }

  const data = script.dataset;
  // data-language wins over the page's <html lang> for both the widget's text and the bot's hint.
  const chosenLanguage = (data.language || "").trim();
  const language = tableFor(chosenLanguage || document.documentElement.lang) || "en";
  const strings = loadStrings();
  const config = {
    serverUrl: (data.serverUrl || "http://127.0.0.1:5005").replace(/\/+$/, ""),
    socketPath: data.socketPath || "/socket.io/",
    // An explicit empty data-greeting-payload="" disables the automatic greeting.
    greeting: data.greetingPayload != null ? data.greetingPayload.trim() : "/greet",
    color: /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(data.primaryColor || "") ? data.primaryColor : DEFAULT_COLOR,
    openOnLoad: data.openOnLoad === "true",
    position: data.position === "bottom-left" ? "bottom-left" : "bottom-right",
    socketioSrc: data.socketioSrc || new URL("../node_modules/socket.io-client/dist/socket.io.min.js", script.src).href,
    stylesheet: new URL(BUNDLE ? BUNDLE.stylesheet : "rasa-chat.css", script.src).href,
    sessionMs: (positiveNumber(data.sessionMinutes) || DEFAULT_SESSION_MINUTES) * 60000,
  };

  // The language's table, then window.RasaChatConfig.strings, then data-strings, then data-title.
  function loadStrings() {
    const result = Object.assign({}, DEFAULT_STRINGS, UI_STRINGS[language]);
    const sources = [window.RasaChatConfig && window.RasaChatConfig.strings];
    if (data.strings) {
      try {
        sources.push(JSON.parse(data.strings));
      } catch (e) {
        console.warn("Rasa chat: data-strings is not valid JSON; the default strings are used.");
      }
    }
    sources.forEach((source) => {
      if (!source || typeof source !== "object") return;
      Object.keys(source).forEach((key) => {
        const value = source[key];
        if (!Object.prototype.hasOwnProperty.call(DEFAULT_STRINGS, key)) {
          console.warn("Rasa chat: unknown string " + JSON.stringify(key) + " ignored.");
          return;
        }
        // A translation must keep every {placeholder}, or the text it stands for would be lost.
        const placeholders = DEFAULT_STRINGS[key].match(/\{\w+\}/g) || [];
        const usable = typeof value === "string" && (value.trim() || key === "replySeparator");
        if (usable && placeholders.every((p) => value.includes(p))) result[key] = value;
        else console.warn("Rasa chat: string " + JSON.stringify(key) + " ignored (text with " + (placeholders.join(" ") || "no placeholder") + " expected).");
      });
    });
    if (data.title) result.title = data.title;
    return result;
  }

  // Fills {name} placeholders (a replacer function, so "$&" in a value stays literal).
  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (match, name) =>
    (Object.prototype.hasOwnProperty.call(values, name) ? values[name] : match));

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

  const ICON_CHAT = [28, "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z"];
  const ICON_CLOSE = [22, "M18.3 5.7a1 1 0 0 0-1.4 0L12 10.6 7.1 5.7a1 1 0 0 0-1.4 1.4l4.9 4.9-4.9 4.9a1 1 0 1 0 1.4 1.4l4.9-4.9 4.9 4.9a1 1 0 0 0 1.4-1.4L13.4 12l4.9-4.9a1 1 0 0 0 0-1.4z"];

  // Icons are built node by node too (no innerHTML), so Trusted Types policies need no exception.
  function iconButton(attrs, [size, path]) {
    const svgNs = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(svgNs, "svg");
    const shape = document.createElementNS(svgNs, "path");
    Object.entries({ viewBox: "0 0 24 24", width: size, height: size, "aria-hidden": "true", focusable: "false" })
      .forEach(([key, value]) => svg.setAttribute(key, value));
    shape.setAttribute("fill", "currentColor");
    shape.setAttribute("d", path);
    svg.append(shape);
    return el("button", Object.assign({ type: "button" }, attrs), [svg]);
  }

  /* ---------- Rendering the small Markdown subset bot responses use ---------- */

  // **bold**, [label](url) and bare http(s) URLs (trailing punctuation excluded).
  const INLINE = /\*\*(.+?)\*\*|\[([^\]]+)\]\(([^)\s]+)\)|(https?:\/\/[^\s<>]*[^\s<>.,;:!?)'"])/g;

  function link(label, href) {
    if (!/^(https?:|mailto:|tel:)/i.test(href)) return document.createTextNode(label);
    return el("a", { href, target: "_blank", rel: "noopener" }, [label, srOnly(" " + strings.newTab)]);
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
    { class: "rcw-launcher", "aria-label": fill(strings.openChat, { title: strings.title }), "aria-expanded": "false", "aria-controls": "rcw-panel" },
    ICON_CHAT
  );
  const title = el("h2", { class: "rcw-title", id: "rcw-title", text: strings.title });
  const restartButton = el("button", { type: "button", class: "rcw-restart", text: strings.restart });
  const closeButton = iconButton({ class: "rcw-close", "aria-label": strings.close }, ICON_CLOSE);
  const log = el("div", { class: "rcw-log", role: "log", "aria-live": "off", "aria-label": strings.conversation, tabindex: "0" });
  const notice = el("div", { class: "rcw-notice", role: "alert" });
  const input = el("input", {
    id: "rcw-input", class: "rcw-input", type: "text", autocomplete: "off", maxlength: String(MAX_MESSAGE_LENGTH),
    placeholder: strings.placeholder,
  });
  const form = el("form", { class: "rcw-form" }, [
    el("label", { for: "rcw-input", class: "rcw-sr", text: strings.inputLabel }),
    input,
    el("button", { type: "submit", class: "rcw-send", text: strings.send }),
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
      srOnly(strings.typing),
    ]),
  ]);
  const root = el("aside", { class: "rcw-root rcw-" + config.position, "aria-label": strings.region }, [launcher, panel, announcer]);
  // Chosen by data-language, the widget's text may not be in the page's language: say so to screen readers.
  if (chosenLanguage && tableFor(chosenLanguage)) root.setAttribute("lang", language);
  root.style.setProperty("--rcw-primary", config.color);
  root.style.setProperty("--rcw-on-primary", onPrimary);
  root.style.setProperty("--rcw-accent", accent);

  /* ---------- Transcript ---------- */

  function renderMessage(message) {
    const bubble = el("div", { class: "rcw-bubble" });
    if (message.who === "bot") renderRichText(message.text, bubble);
    else bubble.textContent = message.text;
    const node = el("div", { class: "rcw-msg rcw-" + message.who }, [
      srOnly(message.who === "bot" ? strings.botSaid : strings.userSaid),
    ]);
    if (message.text) node.append(bubble);
    if (message.buttons && message.buttons.length) {
      // Quick replies stay clickable for the life of the transcript, not just on the last message.
      node.append(el("div", { class: "rcw-replies", role: "group", "aria-label": strings.suggestedReplies },
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
      announcer.append(el("p", { text: fill(strings.announceBot, { text: plainText(message.text) }) }));
      if (message.buttons.length) {
        const replies = message.buttons.map((b) => b.title).join(strings.replySeparator);
        announcer.append(el("p", { text: fill(strings.announceReplies, { replies }) }));
      }
    }
    emit("message", { from: message.who, text: message.text, buttons: (message.buttons || []).map((b) => Object.assign({}, b)) });
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
    const retry = el("button", { type: "button", class: "rcw-retry", text: strings.retry });
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
  // A connection is being made. Asking socket.io to connect again in that window makes it send a
  // second CONNECT, which the server refuses ("already connected") and the socket is torn down.
  let connecting = false;
  let pending = null; // { payload, label, sent } awaiting the bot's reply
  let replyTimer = 0;
  let waiting = false; // a message is out and its reply not yet in (or timed out)

  let socketIoLoaded = null; // promise for the socket.io client script, loaded on first use

  function loadSocketIo() {
    if (BUNDLE || window.io) return Promise.resolve();
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
      if (!socket.connected && !connecting) {
        connecting = true;
        socket.connect();
      }
      return;
    }
    connecting = true;
    loadSocketIo().then(() => {
      if (socket) return; // another call got here first
      // Reconnection is driven by the widget (on send / Retry) so failures are always visible.
      // The bundle uses its own copy: a page's window.io (another version, or none) is left alone.
      socket = (BUNDLE ? BUNDLE.io : window.io)(config.serverUrl, { path: config.socketPath, reconnection: false, timeout: REPLY_TIMEOUT_MS });
      socket.on("connect", () => {
        connecting = false;
        socket.emit("session_request", { session_id: state.sessionId });
      });
      socket.on("session_confirm", onSessionConfirm);
      socket.on("bot_uttered", onBotMessage);
      socket.on("connect_error", () => {
        connecting = false;
        showError(strings.unreachable);
      });
      socket.on("disconnect", () => {
        connecting = false;
        ready = false;
        if (pending) showError(strings.connectionLost);
      });
    }, () => {
      connecting = false;
      showError(strings.unreachable);
    });
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
      customData: { language: chosenLanguage || document.documentElement.lang || "en", page: location.pathname },
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
      showError(strings.noReply);
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

  let opener = null; // the page element (e.g. a "Chat with us" button) focused when the chat opened

  // `greet` false: a message is about to be sent (RasaChat.send), which starts the conversation.
  function open(moveFocus, greet = true) {
    if (idleExpired()) forget(); // the expiry timer may not have run yet (sleep)
    const wasHidden = panel.hidden;
    if (wasHidden) opener = root.contains(document.activeElement) ? null : document.activeElement;
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    document.documentElement.classList.add("rcw-open");
    state.open = true;
    saveState();
    scrollToEnd();
    if (moveFocus) input.focus();
    // Greet once per new session so the bot's welcome and starter buttons appear.
    if (greet && !state.greeted && config.greeting && !pending) send(config.greeting, null);
    else connect();
    if (wasHidden) emit("open");
  }

  // Hides the panel; focus inside the widget goes back to where it came from.
  function hide() {
    if (panel.hidden) return;
    const hadFocus = root.contains(document.activeElement);
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    document.documentElement.classList.remove("rcw-open");
    const back = opener && opener.isConnected && opener !== document.body ? opener : launcher;
    opener = null;
    if (hadFocus) back.focus();
    emit("close");
  }

  function close() {
    state.open = false;
    saveState();
    hide();
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
    connecting = false; // disconnect() below gives no event when it cuts an attempt short
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
    forget();
    hide();
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

  /* ---------- JavaScript API for the host page (window.RasaChat) ---------- */

  const listeners = { message: new Set(), open: new Set(), close: new Set() };

  function emit(event, detail) {
    listeners[event].forEach((handler) => {
      try {
        handler(detail);
      } catch (error) {
        setTimeout(() => { throw error; }); // reported in the console, but the chat goes on
      }
    });
  }

  let mounted = false;
  const afterMount = []; // API calls made while the stylesheet was still loading
  const whenMounted = (action) => (mounted ? action() : afterMount.push(action));

  const api = {
    version: VERSION,
    open() {
      whenMounted(() => open(true));
    },
    close() {
      whenMounted(() => { if (!panel.hidden) close(); });
    },
    toggle() {
      whenMounted(() => (panel.hidden ? open(true) : close()));
    },
    send(text) {
      if (typeof text !== "string") throw new TypeError("RasaChat.send(text): text must be a string");
      const message = text.trim().slice(0, MAX_MESSAGE_LENGTH);
      if (!message) return;
      whenMounted(() => {
        open(true, false);
        send(message, message);
      });
    },
    on(event, handler) {
      if (!listeners[event]) throw new TypeError("RasaChat.on: unknown event " + JSON.stringify(event) + " (message, open, close)");
      if (typeof handler !== "function") throw new TypeError("RasaChat.on(event, handler): handler must be a function");
      const own = (detail) => handler(detail); // the same handler may be added twice, each removable
      listeners[event].add(own);
      return () => listeners[event].delete(own);
    },
    // ["method", ...args], as queued in an array before the script ran.
    push(...calls) {
      calls.forEach((call) => {
        const [method, ...args] = Array.isArray(call) ? call : [];
        if (method === "push" || typeof api[method] !== "function") throw new TypeError("RasaChat.push: unknown call " + JSON.stringify(method));
        api[method](...args);
      });
    },
  };
  const queued = Array.isArray(window.RasaChat) ? window.RasaChat : [];
  window.RasaChat = api;
  queued.forEach((call) => {
    try {
      api.push(call);
    } catch (error) {
      setTimeout(() => { throw error; }); // a bad queued call must not stop the widget loading
    }
  });

  /* ---------- Start-up ---------- */

  function mount() {
    state.messages.forEach(renderMessage);
    scheduleExpiry();
    document.body.append(root);
    mounted = true;
    // Auto-open (configured, or the panel was open on the previous page) without stealing
    // focus, and never on phones where the panel would cover the whole page.
    if ((state.open || config.openOnLoad) && !isPhone()) open(false);
    afterMount.splice(0).forEach((action) => action());
  }

  // Show the widget only once its stylesheet has loaded, so it never flashes unstyled.
  // The bundle pins its stylesheet by hash, so the script's integrity covers the styles too.
  const stylesheet = el("link", Object.assign({ rel: "stylesheet", href: config.stylesheet },
    BUNDLE ? { integrity: BUNDLE.stylesheetIntegrity, crossorigin: "anonymous" } : {}));
  stylesheet.onload = stylesheet.onerror = () => {
    if (document.body) mount();
    else document.addEventListener("DOMContentLoaded", mount);
  };
  document.head.append(stylesheet);
})();
