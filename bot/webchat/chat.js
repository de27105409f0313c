// Larkspur Outfitters web chat: a client of Rasa's socketio channel.
//
// Events (rasa/core/channels/socketio.py): the page sends `session_request` {session_id} and
// `user_uttered` {message, session_id}; Rasa answers `session_confirm` (the session id) and one
// `bot_uttered` per bot message: {text}, {text, quick_replies: [{title, payload}]},
// {attachment: {type: "image", payload: {src}}} or {custom: {...}} (bot.channels.socketio).
// Custom payloads this page understands: {sources: [{id, title}], mode} (citations for the answer
// just sent) and {handoff: true, handoff_id?} (the conversation went to a person).
"use strict";

(() => {
  const SESSION_KEY = "larkspur.chat.session";
  const TRANSCRIPT_KEY = "larkspur.chat.transcript";
  const MAX_STORED_ENTRIES = 200;
  const REPLY_TIMEOUT_MS = 45000;

  const log = document.getElementById("log");
  const scroller = document.getElementById("scroll");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const sendButton = document.getElementById("send");
  const typing = document.getElementById("typing");
  const connection = document.getElementById("connection");
  const newChatButton = document.getElementById("new-chat");

  // Storage can be unavailable (privacy modes); the chat then works without surviving a reload.
  const storage = {
    get(key) {
      try { return window.localStorage.getItem(key); } catch (_) { return null; }
    },
    set(key, value) {
      try { window.localStorage.setItem(key, value); } catch (_) { /* not kept across reloads */ }
    },
    remove(key) {
      try { window.localStorage.removeItem(key); } catch (_) { /* nothing stored */ }
    },
  };

  let sessionId = storage.get(SESSION_KEY);
  let transcript = loadTranscript();
  let socket = null;
  let sessionReady = false;
  let replyTimer = null;
  const nodes = new WeakMap(); // transcript entry -> its <li>, kept out of the stored JSON

  function loadTranscript() {
    try {
      const stored = JSON.parse(storage.get(TRANSCRIPT_KEY) || "[]");
      return Array.isArray(stored) ? stored.filter((entry) => entry && typeof entry.kind === "string") : [];
    } catch (_) {
      return [];
    }
  }

  function saveTranscript() {
    transcript = transcript.slice(-MAX_STORED_ENTRIES);
    storage.set(TRANSCRIPT_KEY, JSON.stringify(transcript));
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function speakerLabel(text) {
    // Read by screen readers before each message, so the log says who spoke.
    return element("span", "visually-hidden", text);
  }

  function renderSources(entry) {
    const box = element("div", "sources");
    const labelText = entry.mode === "extractive" ? "Quoted from" : "Sources";
    box.appendChild(element("p", "sources__label", labelText));
    const list = element("ul", "sources__list");
    for (const source of entry.sources) {
      const item = element("li", "sources__item", String(source.title || source.id || ""));
      if (source.id) item.dataset.sourceId = String(source.id);
      list.appendChild(item);
    }
    box.appendChild(list);
    return box;
  }

  function renderReplies(replies) {
    const group = element("div", "replies");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested replies");
    for (const reply of replies) {
      const button = element("button", "replies__button", String(reply.title));
      button.type = "button";
      button.addEventListener("click", () => {
        send(String(reply.payload), String(reply.title));
        input.focus();
      });
      group.appendChild(button);
    }
    return group;
  }

  function renderEntry(entry, isLatest) {
    let item;
    if (entry.kind === "user") {
      item = element("li", "msg msg--user");
      item.appendChild(speakerLabel("You: "));
      item.appendChild(element("p", "msg__text", entry.text));
    } else if (entry.kind === "bot") {
      item = element("li", "msg msg--bot");
      item.appendChild(speakerLabel("Assistant: "));
      if (entry.text) item.appendChild(element("p", "msg__text", entry.text));
      if (entry.image) {
        const image = element("img", "msg__image");
        image.src = entry.image;
        image.alt = "Image sent by the assistant";
        item.appendChild(image);
      }
      if (entry.sources && entry.sources.length) item.appendChild(renderSources(entry));
      // Old suggestions stay answered: only the latest message offers buttons.
      if (isLatest && entry.replies && entry.replies.length) item.appendChild(renderReplies(entry.replies));
    } else if (entry.kind === "handoff") {
      item = element("li", "notice notice--handoff");
      item.appendChild(element("p", "notice__title", "Your conversation has been handed to our support team."));
      const detail = entry.handoffId
        ? `A person will take it from here. Your reference: ${entry.handoffId}.`
        : "A person will take it from here.";
      item.appendChild(element("p", "notice__text", detail));
    } else {
      item = element("li", "notice", entry.text);
    }
    log.appendChild(item);
    nodes.set(entry, item);
    return item;
  }

  function clearSuggestions() {
    for (const group of log.querySelectorAll(".replies")) group.remove();
    for (const entry of transcript) delete entry.replies;
  }

  function scrollToLatest() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function addEntry(entry) {
    transcript.push(entry);
    renderEntry(entry, true);
    saveTranscript();
    scrollToLatest();
  }

  function setTyping(on) {
    typing.hidden = !on;
    window.clearTimeout(replyTimer);
    if (on) {
      replyTimer = window.setTimeout(() => {
        typing.hidden = true;
        addEntry({ kind: "notice", text: "No reply yet. The assistant may be busy – please try again in a moment." });
      }, REPLY_TIMEOUT_MS);
    }
    scrollToLatest();
  }

  function setConnection(text, state) {
    connection.textContent = text;
    connection.dataset.state = state;
    sessionReady = state === "ready";
    sendButton.disabled = !sessionReady;
  }

  function handedOver() {
    // After a handoff the bot stays silent and a person answers in their own time: no typing
    // indicator, no "no reply yet" warning.
    return transcript.some((entry) => entry.kind === "handoff");
  }

  function send(message, shownText) {
    const text = message.trim();
    if (!text || !sessionReady) return;
    clearSuggestions();
    addEntry({ kind: "user", text: shownText || text });
    socket.emit("user_uttered", { message: text, session_id: sessionId });
    if (!handedOver()) setTyping(true);
  }

  function lastBotEntry() {
    for (let i = transcript.length - 1; i >= 0; i -= 1) {
      if (transcript[i].kind === "bot") return transcript[i];
      if (transcript[i].kind === "user") break;
    }
    return null;
  }

  function attachSources(custom) {
    const sources = custom.sources.filter((source) => source && (source.title || source.id));
    if (!sources.length) return;
    let entry = lastBotEntry();
    if (!entry) {
      entry = { kind: "bot", text: "" };
      addEntry(entry);
    }
    entry.sources = sources;
    entry.mode = custom.mode;
    const item = nodes.get(entry);
    item.querySelector(".sources")?.remove();
    item.insertBefore(renderSources(entry), item.querySelector(".replies"));
    saveTranscript();
    scrollToLatest();
  }

  function receive(message) {
    if (!message || typeof message !== "object") return;
    setTyping(false);
    if (typeof message.text === "string" || message.attachment) {
      const entry = { kind: "bot", text: typeof message.text === "string" ? message.text : "" };
      if (Array.isArray(message.quick_replies) && message.quick_replies.length) {
        entry.replies = message.quick_replies
          .filter((reply) => reply && reply.title !== undefined && reply.payload !== undefined)
          .map((reply) => ({ title: reply.title, payload: reply.payload }));
      }
      const attachment = message.attachment;
      if (attachment && attachment.type === "image" && /^https?:\/\//.test(attachment.payload?.src || "")) {
        entry.image = attachment.payload.src;
      }
      if (entry.text || entry.image) addEntry(entry);
    }
    const custom = message.custom;
    if (custom && typeof custom === "object") {
      if (Array.isArray(custom.sources)) attachSources(custom);
      if (custom.handoff === true) {
        addEntry({ kind: "handoff", handoffId: typeof custom.handoff_id === "string" ? custom.handoff_id : null });
      }
    }
  }

  function connect(config) {
    if (typeof window.io !== "function") {
      setConnection("The chat client did not load. Please reload the page.", "error");
      return;
    }
    // Websocket only: Rasa's socket.io server does not answer cross-origin long-polling
    // requests unless Rasa runs with --cors, and the page is served from another port.
    socket = window.io(config.rasaUrl, { path: config.socketPath, transports: ["websocket"] });
    socket.on("connect", () => {
      setConnection("Connecting…", "connecting");
      socket.emit("session_request", { session_id: sessionId });
    });
    socket.on("session_confirm", (confirmed) => {
      const id = typeof confirmed === "string" ? confirmed : confirmed && confirmed.session_id;
      if (!id) return;
      sessionId = id;
      storage.set(SESSION_KEY, id);
      setConnection("Connected", "ready");
    });
    socket.on("bot_uttered", receive);
    socket.on("disconnect", () => {
      setTyping(false);
      setConnection("Connection lost. Reconnecting…", "connecting");
    });
    socket.on("connect_error", () => setConnection("Can't reach the assistant. Retrying…", "error"));
  }

  function startNewChat() {
    clearSuggestions();
    setTyping(false);
    transcript = [];
    log.replaceChildren();
    storage.remove(TRANSCRIPT_KEY);
    storage.remove(SESSION_KEY);
    sessionId = null;
    if (socket) {
      // A fresh socket leaves the old conversation's room, so its late replies cannot show up here.
      socket.disconnect();
      socket.connect();
    }
    input.focus();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(input.value);
    input.value = "";
    input.focus();
  });
  newChatButton.addEventListener("click", startNewChat);

  transcript.forEach((entry, index) => renderEntry(entry, index === transcript.length - 1));
  scrollToLatest();
  input.focus();

  fetch("config.json", { cache: "no-store" })
    .then((response) => {
      if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
      return response.json();
    })
    .then(connect)
    .catch(() => setConnection("The chat is not configured. Please try again later.", "error"));
})();
