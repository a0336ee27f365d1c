/*!
 * flowbot web chat widget: vanilla JS, no build step, no dependencies.
 *
 *   <script src="https://host/widget.js" data-bot="pokemon"></script>
 *
 * adds a floating launcher + chat panel to any page; /chat/{botId} uses the
 * same script in full-page mode (data-mode="page"). The only global is
 * window.Flowbot. Bot text is always put into the DOM with textContent, never
 * parsed as HTML. See docs/widget.md.
 */
(() => {
  "use strict";

  if (window.Flowbot && window.Flowbot.version) {
    // Loaded twice on one page: the first copy owns the widgets, a second
    // script tag still gets its widget through the first copy's init().
    const again = document.currentScript;
    if (again && !again.hasAttribute("data-manual")) window.Flowbot.initFromScript(again);
    return;
  }

  const VERSION = "0.1.0";
  // Reserved query-string keys: they steer the widget and are never sent as params.
  const RESERVED_PARAMS = new Set(["userKey", "sessionId", "restart"]);
  // Reserved too on the chat page (full-page mode), where they name and translate it;
  // an embedding page's own ?title= or ?lang= stays a param like any other key.
  const PAGE_PARAMS = new Set(["title", "lang"]);
  const MAX_TITLE_CHARS = 100;
  const PARAM_KEY = /^[A-Za-z0-9_-]{1,100}$/;
  const MAX_PARAMS = 50;
  const LINK_PROTOCOLS = new Set(["http:", "https:", "mailto:", "tel:"]);
  const MEDIA_PROTOCOLS = new Set(["http:", "https:", "blob:"]);
  const DATA_MEDIA = /^data:(image|video|audio)\//i;
  const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)\]}]/g;
  const MAX_DELAY_MS = 10000;
  const MAX_TRANSCRIPT = 100;
  const MAX_INPUT_CHARS = 1000;
  const TYPING_AFTER_MS = 350;
  // Statuses worth retrying: the server is restarting, overloaded or behind a proxy.
  const RETRY_STATUSES = new Set([408, 425, 429, 502, 503, 504]);
  const EVENT_FAILURES_BEFORE_PAUSE = 3;
  // The error `code` of a 403 whose conversation went idle too long ([web] token_ttl).
  const TOKEN_EXPIRED = "token_expired";
  const SVG_NS = "http://www.w3.org/2000/svg";

  const ICONS = {
    chat: "M4 6.5A2.5 2.5 0 0 1 6.5 4h11A2.5 2.5 0 0 1 20 6.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.5 3.5V17A2.5 2.5 0 0 1 4 14.5z",
    close: "M6 6l12 12M18 6L6 18",
    send: "M12 19V5M5.5 11.5L12 5l6.5 6.5",
    restart: "M4.5 12a7.5 7.5 0 1 0 2.2-5.3M4.5 4.5v3.8h3.8",
    external: "M14 5h5v5M19 5l-8 8M17 14v4a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1h4",
    pin: "M12 21s-6.5-5.8-6.5-11a6.5 6.5 0 0 1 13 0c0 5.2-6.5 11-6.5 11zM12 12.3a2.3 2.3 0 1 0 0-4.6 2.3 2.3 0 0 0 0 4.6z",
    left: "M15 6l-6 6 6 6",
    right: "M9 6l6 6-6 6",
    image: "M4.5 5.5h15v13h-15zM4.5 15.5l4.5-4.5 4 4 2.5-2.5 4 4M15.5 9.5h.01",
  };

  // Everything the widget itself writes (the bot writes the rest), per interface
  // language: data-lang, else ?lang= on the chat page, else navigator.language
  // (ko… is Korean, anything else English). docs/widget.md lists them.
  const STRINGS = {
    en: {
      chat: "Chat",
      online: "Online",
      reconnecting: "Reconnecting…",
      restart: "Start over",
      close: "Close",
      closeChat: "Close chat",
      openChat: (title) => `Open chat: ${title}`,
      messages: "Messages",
      suggestedReplies: "Suggested replies",
      typing: (title) => `${title} is typing`,
      inputLabel: "Message",
      placeholder: "Type a message…",
      send: "Send",
      notDelivered: "Not delivered.",
      retry: "Retry",
      imageUnavailable: "Image unavailable",
      carousel: "carousel",
      cards: (count) => `${count} cards`,
      slide: "slide",
      slideOf: (index, count) => `${index} of ${count}`,
      previousCard: "Previous card",
      nextCard: "Next card",
      location: "Location",
      openMap: "Open map",
      agent: (name) => `${name} (agent)`,
      joined: (name) => `${name} joined the conversation`,
    },
    ko: {
      chat: "채팅",
      online: "온라인",
      reconnecting: "다시 연결하는 중…",
      restart: "처음부터 다시",
      close: "닫기",
      closeChat: "채팅 닫기",
      openChat: (title) => `채팅 열기: ${title}`,
      messages: "메시지 목록",
      suggestedReplies: "추천 답변",
      typing: (title) => `${title} 입력 중`,
      inputLabel: "메시지",
      placeholder: "메시지를 입력하세요…",
      send: "보내기",
      notDelivered: "전송하지 못했습니다.",
      retry: "다시 시도",
      imageUnavailable: "이미지를 불러올 수 없습니다",
      carousel: "캐러셀",
      cards: (count) => `카드 ${count}장`,
      slide: "슬라이드",
      slideOf: (index, count) => `${count}장 중 ${index}번째`,
      previousCard: "이전 카드",
      nextCard: "다음 카드",
      location: "위치",
      openMap: "지도 열기",
      agent: (name) => `${name} (상담원)`,
      joined: (name) => `${name} 님이 대화에 참여했습니다`,
    },
  };

  // The dark palette, for the OS preference and for data-theme="dark" alike.
  const DARK_THEME = `
  --fb-accent: #818cf8;
  --fb-accent-hover: #a5b4fc;
  --fb-accent-text: #0d0f1a;
  --fb-accent-soft: rgba(129, 140, 248, 0.14);
  --fb-page-bg: #07080b;
  --fb-bg: #101216;
  --fb-surface: #1a1d23;
  --fb-text: #e8eaee;
  --fb-muted: #9aa1ad;
  --fb-border: #2b3039;
  --fb-bot-bg: #1f232b;
  --fb-user-bg: #6366f1;
  --fb-user-text: #ffffff;
  --fb-media-bg: linear-gradient(135deg, #272b45, #1f2233);
  --fb-notice-bg: #3a2f10;
  --fb-notice-text: #ffe08a;
  --fb-agent-bg: #0f2a22;
  --fb-agent-border: #1f6f55;
  --fb-agent-text: #d7f5e9;
  --fb-agent-name: #6ee7b7;
  --fb-error: #ff8a80;
  --fb-shadow: none;
  --fb-panel-shadow: 0 12px 48px rgba(0, 0, 0, 0.6);
`;

  const CSS = `
:where(.fb-root) {
  --fb-font: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Apple SD Gothic Neo",
    "Malgun Gothic", sans-serif;
  --fb-font-size: 15px;
  --fb-accent: #4f46e5;
  --fb-accent-hover: #4338ca;
  --fb-accent-text: #ffffff;
  --fb-accent-soft: rgba(79, 70, 229, 0.1);
  --fb-page-bg: #e9ebf0;
  --fb-bg: #f4f5f8;
  --fb-surface: #ffffff;
  --fb-text: #1b1d22;
  --fb-muted: #646a75;
  --fb-border: #e1e4ea;
  --fb-bot-bg: #ffffff;
  --fb-bot-text: var(--fb-text);
  --fb-user-bg: var(--fb-accent);
  --fb-user-text: var(--fb-accent-text);
  --fb-media-bg: linear-gradient(135deg, #e0e7ff, #f5f3ff);
  --fb-notice-bg: #fff4d6;
  --fb-notice-text: #6b4e00;
  --fb-agent-bg: #e7f8f1;
  --fb-agent-border: #9bdcc3;
  --fb-agent-text: #0b3b2c;
  --fb-agent-name: #047857;
  --fb-error: #c62828;
  --fb-radius: 18px;
  --fb-card-radius: 16px;
  --fb-shadow: 0 1px 2px rgba(16, 24, 40, 0.06), 0 1px 3px rgba(16, 24, 40, 0.08);
  --fb-panel-shadow: 0 12px 48px rgba(16, 24, 40, 0.22);
  --fb-card-width: 250px;
  --fb-panel-width: 380px;
  --fb-panel-height: 640px;
  --fb-z: 2147483000;
}
@media (prefers-color-scheme: dark) {
  :where(.fb-root:not([data-theme="light"])) {${DARK_THEME}}
}
:where(.fb-root[data-theme="dark"]) {${DARK_THEME}}
.fb-root, .fb-root *, .fb-root *::before, .fb-root *::after { box-sizing: border-box; }
.fb-root {
  font-family: var(--fb-font); font-size: var(--fb-font-size); line-height: 1.45;
  color: var(--fb-text); text-align: left; letter-spacing: normal;
  -webkit-font-smoothing: antialiased; -webkit-text-size-adjust: 100%;
}
.fb-root [hidden] { display: none !important; }
.fb-root button, .fb-root textarea {
  font: inherit; color: inherit; margin: 0; letter-spacing: inherit; text-transform: none;
}
.fb-root button { cursor: pointer; background: none; border: 0; padding: 0; }
.fb-root a { color: inherit; }
.fb-root :focus { outline: none; }
.fb-root :focus-visible { outline: 2px solid var(--fb-accent); outline-offset: 2px; }
.fb-root .fb-icon {
  width: 20px; height: 20px; flex: none; fill: none; stroke: currentColor;
  stroke-width: 2; stroke-linecap: round; stroke-linejoin: round;
}

/* Full-page mode: the chat fills the viewport, one centred column on desktops. */
.fb-root.fb-mode-page {
  position: fixed; inset: 0; display: flex; justify-content: center; background: var(--fb-page-bg);
}
.fb-root.fb-mode-page .fb-panel { width: 100%; max-width: 760px; height: 100%; }
@media (min-width: 800px) {
  .fb-root.fb-mode-page .fb-panel { border-left: 1px solid var(--fb-border); border-right: 1px solid var(--fb-border); }
}

/* Launcher mode: a floating button and a panel above it. */
.fb-root.fb-mode-launcher .fb-launcher {
  position: fixed; right: 20px; bottom: 20px; z-index: var(--fb-z);
  width: 58px; height: 58px; border-radius: 50%;
  display: flex; align-items: center; justify-content: center;
  background: var(--fb-accent); color: var(--fb-accent-text);
  box-shadow: 0 6px 20px rgba(16, 24, 40, 0.28); transition: transform 0.15s ease, background 0.15s;
}
.fb-root.fb-mode-launcher .fb-launcher:hover { background: var(--fb-accent-hover); transform: scale(1.05); }
.fb-root.fb-mode-launcher .fb-launcher .fb-icon { width: 26px; height: 26px; }
.fb-root.fb-mode-launcher.fb-left .fb-launcher { right: auto; left: 20px; }
.fb-root .fb-launcher .fb-unread {
  position: absolute; top: 3px; right: 3px; width: 14px; height: 14px; border-radius: 50%;
  background: #ef4444; border: 2px solid var(--fb-surface);
}
.fb-root.fb-mode-launcher .fb-panel {
  position: fixed; right: 20px; bottom: 92px; z-index: var(--fb-z);
  width: var(--fb-panel-width); height: min(var(--fb-panel-height), calc(100vh - 120px));
  border-radius: 20px; overflow: hidden; box-shadow: var(--fb-panel-shadow);
  border: 1px solid var(--fb-border);
  opacity: 0; transform: translateY(12px) scale(0.98); pointer-events: none; visibility: hidden;
  transition: opacity 0.18s ease, transform 0.18s ease, visibility 0s linear 0.18s;
}
.fb-root.fb-mode-launcher.fb-left .fb-panel { right: auto; left: 20px; }
.fb-root.fb-mode-launcher.fb-open .fb-panel {
  opacity: 1; transform: none; pointer-events: auto; visibility: visible;
  transition: opacity 0.18s ease, transform 0.18s ease;
}
@media (max-width: 480px) {
  .fb-root.fb-mode-launcher .fb-panel {
    inset: 0; right: 0; bottom: 0; left: 0; width: 100%; height: 100%; border-radius: 0; border: 0;
  }
  .fb-root.fb-mode-launcher.fb-open .fb-launcher { display: none; }
}

.fb-root .fb-panel { display: flex; flex-direction: column; background: var(--fb-bg); min-height: 0; }
.fb-root .fb-header {
  display: flex; align-items: center; gap: 12px; padding: 12px 12px 12px 16px; flex: none;
  background: var(--fb-surface); border-bottom: 1px solid var(--fb-border);
}
.fb-root .fb-avatar {
  width: 36px; height: 36px; border-radius: 50%; flex: none;
  display: flex; align-items: center; justify-content: center;
  background: var(--fb-accent); color: var(--fb-accent-text); font-weight: 700; font-size: 16px;
}
.fb-root .fb-title-box { flex: 1; min-width: 0; }
.fb-root .fb-title { font-weight: 650; font-size: 16px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.fb-root .fb-status { font-size: 12.5px; color: var(--fb-muted); display: flex; align-items: center; gap: 6px; }
.fb-root .fb-status::before { content: ""; width: 7px; height: 7px; border-radius: 50%; background: #22c55e; }
.fb-root.fb-offline .fb-status::before { background: #f59e0b; }
.fb-root .fb-header-button {
  width: 38px; height: 38px; border-radius: 50%; display: flex; align-items: center; justify-content: center;
  color: var(--fb-muted); flex: none;
}
.fb-root .fb-header-button:hover { background: var(--fb-accent-soft); color: var(--fb-text); }

.fb-root .fb-notice {
  flex: none; align-self: center; margin: 8px 12px 0; padding: 4px 12px; border-radius: 999px;
  font-size: 12.5px; background: var(--fb-notice-bg); color: var(--fb-notice-text);
}
.fb-root .fb-scroll {
  flex: 1; min-height: 0; overflow-y: auto; overscroll-behavior: contain; padding: 16px 14px 8px;
}
.fb-root .fb-messages { display: flex; flex-direction: column; gap: 4px; list-style: none; margin: 0; padding: 0; }
.fb-root .fb-row { display: flex; flex-direction: column; min-width: 0; }
.fb-root .fb-row-bot { align-items: flex-start; }
.fb-root .fb-row-user { align-items: flex-end; }
.fb-root .fb-row-user + .fb-row-bot, .fb-root .fb-row-bot + .fb-row-user { margin-top: 10px; }
.fb-root .fb-row.fb-enter { animation: fb-enter 0.18s ease-out; }
@keyframes fb-enter { from { opacity: 0; transform: translateY(6px); } to { opacity: 1; transform: none; } }

/* Korean wraps between words (keep-all), never inside one; a token longer than
   the line (a URL) still breaks anywhere rather than overflow. */
.fb-root .fb-bubble, .fb-root .fb-card, .fb-root .fb-event, .fb-root .fb-quick-reply,
.fb-root .fb-notice, .fb-root .fb-delivery {
  word-break: keep-all; overflow-wrap: anywhere;
}
.fb-root .fb-bubble {
  max-width: min(82%, 560px); border-radius: var(--fb-radius); white-space: pre-wrap;
}
.fb-root .fb-bubble.fb-bot {
  background: var(--fb-bot-bg); color: var(--fb-bot-text); box-shadow: var(--fb-shadow);
  border: 1px solid var(--fb-border); border-bottom-left-radius: 6px;
}
/* A person (an agent) writing in the bot's place: their name above, their own colour. */
.fb-root .fb-agent-name {
  font-size: 12px; font-weight: 650; color: var(--fb-agent-name); margin: 0 0 3px 10px;
}
.fb-root .fb-bubble.fb-bot.fb-agent, .fb-root .fb-card.fb-agent, .fb-root .fb-agent .fb-card {
  background: var(--fb-agent-bg); color: var(--fb-agent-text); border-color: var(--fb-agent-border);
}
.fb-root .fb-row-event { align-items: center; margin: 10px 0; }
.fb-root .fb-event {
  font-size: 12.5px; color: var(--fb-muted); text-align: center; padding: 2px 12px;
}
.fb-root .fb-bubble.fb-user {
  background: var(--fb-user-bg); color: var(--fb-user-text); padding: 9px 14px;
  border-bottom-right-radius: 6px;
}
.fb-root .fb-bubble.fb-user.fb-pending { opacity: 0.7; }
.fb-root .fb-bubble.fb-user.fb-failed { opacity: 0.7; outline: 1px solid var(--fb-error); }
.fb-root .fb-delivery { font-size: 12px; color: var(--fb-error); margin-top: 3px; display: flex; gap: 8px; }
.fb-root .fb-delivery button { text-decoration: underline; color: inherit; }
.fb-root .fb-text { padding: 9px 14px; }
.fb-root .fb-text .fb-link { text-decoration: underline; text-underline-offset: 2px; }
.fb-root .fb-bubble.fb-has-buttons { min-width: min(240px, 82%); }

.fb-root .fb-buttons { display: flex; flex-direction: column; white-space: normal; }
.fb-root .fb-button {
  display: flex; align-items: center; justify-content: center; gap: 6px; width: 100%;
  padding: 10px 14px; min-height: 42px; border-top: 1px solid var(--fb-border);
  color: var(--fb-accent); font-weight: 600; font-size: 14.5px; text-align: center;
  text-decoration: none; transition: background 0.12s;
}
.fb-root .fb-button:hover { background: var(--fb-accent-soft); }
.fb-root .fb-button:active { background: var(--fb-accent-soft); filter: brightness(0.95); }
.fb-root .fb-button .fb-icon { width: 15px; height: 15px; }
.fb-root .fb-button[aria-disabled="true"] { color: var(--fb-muted); cursor: not-allowed; }
.fb-root .fb-bubble.fb-has-buttons { overflow: hidden; }
.fb-root .fb-button:focus-visible, .fb-root .fb-card-title a:focus-visible { outline-offset: -3px; }

.fb-root .fb-media { padding: 0; overflow: hidden; background: var(--fb-bot-bg); }
.fb-root .fb-media img, .fb-root .fb-media video { display: block; max-width: 100%; max-height: 340px; }
.fb-root .fb-media audio { display: block; width: 280px; max-width: 100%; margin: 8px; }
.fb-root .fb-media-missing {
  display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 6px;
  width: 100%; height: 100%; min-height: 120px; min-width: 180px; padding: 12px;
  background: var(--fb-media-bg); color: var(--fb-accent); text-align: center;
}
.fb-root .fb-media-missing .fb-icon { width: 34px; height: 34px; stroke-width: 1.6; }
.fb-root .fb-media-missing .fb-initial { font-size: 40px; font-weight: 700; line-height: 1; opacity: 0.85; }

.fb-root .fb-carousel-box { position: relative; margin: 0 -14px; width: calc(100% + 28px); }
.fb-root .fb-carousel {
  display: flex; gap: 10px; overflow-x: auto; scroll-snap-type: x mandatory; scroll-behavior: smooth;
  overscroll-behavior-x: contain; padding: 2px 14px 8px; scrollbar-width: thin;
  scroll-padding: 0 14px;
}
.fb-root .fb-carousel::after { content: ""; flex: 0 0 4px; }
.fb-root .fb-carousel > .fb-card { flex: 0 0 var(--fb-card-width); max-width: 80%; scroll-snap-align: start; }
.fb-root .fb-carousel-nav {
  position: absolute; top: calc(50% - 22px); width: 36px; height: 36px; border-radius: 50%;
  display: none; align-items: center; justify-content: center; z-index: 1;
  background: var(--fb-surface); color: var(--fb-text); border: 1px solid var(--fb-border);
  box-shadow: 0 2px 8px rgba(16, 24, 40, 0.18);
}
.fb-root .fb-carousel-nav.fb-prev { left: 8px; }
.fb-root .fb-carousel-nav.fb-next { right: 8px; }
@media (hover: hover) and (pointer: fine) {
  .fb-root .fb-carousel-box.fb-scrollable .fb-carousel-nav:not([disabled]) { display: flex; }
}
.fb-root .fb-card {
  display: flex; flex-direction: column; width: var(--fb-card-width); max-width: 100%;
  background: var(--fb-bot-bg); color: var(--fb-bot-text); border: 1px solid var(--fb-border);
  border-radius: var(--fb-card-radius); overflow: hidden; box-shadow: var(--fb-shadow);
}
.fb-root .fb-card-media { aspect-ratio: 16 / 10; background: var(--fb-media-bg); overflow: hidden; flex: none; }
.fb-root .fb-card-media img, .fb-root .fb-card-media video { width: 100%; height: 100%; object-fit: cover; display: block; }
.fb-root .fb-card-body { padding: 12px 14px; flex: 1; display: flex; flex-direction: column; gap: 4px; }
.fb-root .fb-card-title { font-weight: 650; font-size: 15.5px; line-height: 1.3; }
.fb-root .fb-card-title a { text-decoration: none; }
.fb-root .fb-card-title a:hover { text-decoration: underline; }
.fb-root .fb-card-description {
  color: var(--fb-muted); font-size: 14px; white-space: pre-wrap;
}
.fb-root .fb-card .fb-buttons { margin-top: auto; }

.fb-root .fb-location { display: flex; gap: 10px; align-items: flex-start; padding: 10px 14px; white-space: normal; }
.fb-root .fb-location .fb-icon { color: var(--fb-accent); width: 26px; height: 26px; margin-top: 2px; }
.fb-root .fb-location-label { font-weight: 600; }
.fb-root .fb-location-coords { font-size: 12.5px; color: var(--fb-muted); }

.fb-root .fb-quick-replies {
  display: flex; flex-wrap: wrap; gap: 8px; justify-content: flex-end; padding: 10px 0 4px;
}
.fb-root .fb-quick-reply {
  padding: 7px 14px; border-radius: 999px; border: 1.5px solid var(--fb-accent);
  color: var(--fb-accent); background: var(--fb-surface); font-weight: 600; font-size: 14px;
  transition: background 0.12s, color 0.12s;
}
.fb-root .fb-quick-reply:hover { background: var(--fb-accent); color: var(--fb-accent-text); }

.fb-root .fb-typing {
  display: inline-flex; gap: 5px; align-items: center; padding: 13px 16px; margin-top: 8px;
  background: var(--fb-bot-bg); border: 1px solid var(--fb-border); border-radius: var(--fb-radius);
  border-bottom-left-radius: 6px; box-shadow: var(--fb-shadow);
}
.fb-root .fb-typing span {
  width: 7px; height: 7px; border-radius: 50%; background: var(--fb-muted);
  animation: fb-typing 1.2s infinite ease-in-out;
}
.fb-root .fb-typing span:nth-child(2) { animation-delay: 0.15s; }
.fb-root .fb-typing span:nth-child(3) { animation-delay: 0.3s; }
@keyframes fb-typing {
  0%, 60%, 100% { opacity: 0.35; transform: translateY(0); }
  30% { opacity: 1; transform: translateY(-4px); }
}

.fb-root .fb-composer {
  flex: none; display: flex; align-items: flex-end; gap: 8px; padding: 10px 12px;
  padding-bottom: max(10px, env(safe-area-inset-bottom));
  background: var(--fb-surface); border-top: 1px solid var(--fb-border);
}
.fb-root .fb-input {
  flex: 1; min-width: 0; resize: none; max-height: 132px; min-height: 42px; padding: 10px 14px;
  border-radius: 21px; border: 1px solid var(--fb-border); background: var(--fb-bg);
  line-height: 1.4; font-size: 16px; /* 16px: iOS zooms into smaller inputs */
}
.fb-root .fb-input::placeholder { color: var(--fb-muted); }
.fb-root .fb-input:focus-visible { outline: 2px solid var(--fb-accent); outline-offset: 0; border-color: transparent; }
.fb-root .fb-send {
  width: 42px; height: 42px; border-radius: 50%; flex: none; display: flex; align-items: center;
  justify-content: center; background: var(--fb-accent); color: var(--fb-accent-text);
  transition: background 0.12s, opacity 0.12s;
}
.fb-root .fb-send:hover { background: var(--fb-accent-hover); }
.fb-root .fb-send:disabled { opacity: 0.45; cursor: default; }
.fb-root .fb-send .fb-icon { width: 20px; height: 20px; stroke-width: 2.4; }
.fb-root .fb-visually-hidden {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap;
}
@media (prefers-reduced-motion: reduce) {
  .fb-root *, .fb-root *::before, .fb-root *::after {
    animation: none !important; transition: none !important; scroll-behavior: auto !important;
  }
}
`;

  // ---------------------------------------------------------------- helpers

  const memoryStorage = new Map();
  // localStorage may be missing or throw (private modes, sandboxed frames, quota):
  // the widget then keeps its state in memory for the life of the page.
  const storage = {
    get(key) {
      if (memoryStorage.has(key)) return memoryStorage.get(key);
      try {
        const raw = window.localStorage.getItem(key);
        return raw ? JSON.parse(raw) : null;
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        window.localStorage.setItem(key, JSON.stringify(value));
        memoryStorage.delete(key);
      } catch {
        memoryStorage.set(key, value);
      }
    },
    remove(key) {
      memoryStorage.delete(key);
      try {
        window.localStorage.removeItem(key);
      } catch {
        /* nothing stored */
      }
    },
  };

  function randomId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      try {
        return window.crypto.randomUUID();
      } catch {
        /* not a secure context: fall through */
      }
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function backoff(attempt) {
    const base = Math.min(30000, 500 * 2 ** Math.min(attempt, 6));
    return base / 2 + Math.random() * (base / 2);
  }

  function el(tag, className, attrs) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (attrs) {
      for (const [name, value] of Object.entries(attrs)) {
        if (value === null || value === undefined || value === false) continue;
        node.setAttribute(name, value === true ? "" : String(value));
      }
    }
    return node;
  }

  function textEl(tag, className, value) {
    const node = el(tag, className);
    node.textContent = value;
    return node;
  }

  function icon(name) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", `fb-icon fb-icon-${name}`);
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  function asText(value) {
    if (value === null || value === undefined) return "";
    return typeof value === "string" ? value : String(value);
  }

  // Bot text with its http(s) URLs turned into links; every piece is a text node.
  function appendLinkified(parent, value) {
    let last = 0;
    for (const match of value.matchAll(URL_IN_TEXT)) {
      if (match.index > last) parent.appendChild(document.createTextNode(value.slice(last, match.index)));
      const link = el("a", "fb-link", { href: match[0], target: "_blank", rel: "noopener noreferrer" });
      link.textContent = match[0];
      parent.appendChild(link);
      last = match.index + match[0].length;
    }
    if (last < value.length) parent.appendChild(document.createTextNode(value.slice(last)));
  }

  // A bot's URI as a URL. Relative and root-relative URIs (`/media/pokemon/x.svg`,
  // the bot's own media) belong to the flowbot server, not to the page around
  // the widget: `base` is the server's URL.
  function resolveUri(uri, base) {
    const value = asText(uri).trim();
    if (!value) return null;
    try {
      return new URL(value, base);
    } catch {
      return null;
    }
  }

  function safeLink(uri, base) {
    const url = resolveUri(uri, base);
    return url && LINK_PROTOCOLS.has(url.protocol) ? url.href : null;
  }

  function safeMedia(uri, base) {
    const value = asText(uri).trim();
    if (DATA_MEDIA.test(value)) return value;
    const url = resolveUri(value, base);
    return url && MEDIA_PROTOCOLS.has(url.protocol) ? url.href : null;
  }

  // The `code` of a JSON error body ({"error", "code"}), if any.
  async function errorCode(response) {
    try {
      const problem = await response.json();
      return problem && typeof problem.code === "string" ? problem.code : null;
    } catch {
      return null;
    }
  }

  // An agent's name as the server sends it: a short, non-blank string, else "".
  function agentName(value) {
    return typeof value === "string" ? value.trim().slice(0, 100) : "";
  }

  function mediaKind(contentType) {
    const value = asText(contentType).toLowerCase();
    if (value.startsWith("video")) return "video";
    if (value.startsWith("audio")) return "audio";
    return "image";
  }

  function clampDelay(value) {
    const delay = Number(value);
    return Number.isFinite(delay) && delay > 0 ? Math.min(delay, MAX_DELAY_MS) : 0;
  }

  // Query-string values the server accepts as params: reserved keys and keys the
  // web channel would refuse (it allows [A-Za-z0-9_-] only) are left out.
  // `reserved`: more keys that are not params (the chat page's title and lang).
  function paramsFrom(search, base, reserved) {
    const params = Object.assign({}, base);
    for (const [key, value] of new URLSearchParams(search)) {
      if (RESERVED_PARAMS.has(key) || (reserved && reserved.has(key)) || !PARAM_KEY.test(key)) continue;
      params[key] = value;
    }
    for (const key of Object.keys(params)) {
      if (!PARAM_KEY.test(key)) delete params[key];
    }
    const keys = Object.keys(params);
    if (keys.length > MAX_PARAMS) for (const key of keys.slice(MAX_PARAMS)) delete params[key];
    return params;
  }

  function serverBase(server) {
    try {
      return new URL(`${server}/`, window.location.href).href;
    } catch {
      return window.location.href;
    }
  }

  function botIdFromPath(pathname) {
    const match = /\/chat\/([^/?#]+)\/?$/.exec(pathname);
    if (!match) return null;
    try {
      return decodeURIComponent(match[1]);
    } catch {
      return match[1];
    }
  }

  function prettyTitle(botId, strings) {
    const words = asText(botId).replace(/[-_]+/g, " ").trim();
    return words ? words.charAt(0).toUpperCase() + words.slice(1) : strings.chat;
  }

  // A title as shown: trimmed, at most MAX_TITLE_CHARS; "" when there is none.
  function cleanTitle(value) {
    return typeof value === "string" ? Array.from(value.trim()).slice(0, MAX_TITLE_CHARS).join("") : "";
  }

  // The interface language of a language tag ("ko", "ko-KR" → "ko"; anything
  // else → "en"); null when there is no tag at all.
  function languageOf(tag) {
    const value = asText(tag).trim().toLowerCase();
    if (!value) return null;
    return value.startsWith("ko") ? "ko" : "en";
  }

  // data-lang / the `lang` option, else ?lang= on the chat page, else the browser's.
  function chooseLanguage(options) {
    return (
      languageOf(options.lang) ||
      languageOf(options.queryLang) ||
      languageOf(window.navigator && window.navigator.language) ||
      "en"
    );
  }

  let stylesInjected = false;
  function injectStyles() {
    if (stylesInjected || document.getElementById("flowbot-widget-styles")) return;
    stylesInjected = true;
    const style = el("style", null, { id: "flowbot-widget-styles" });
    style.textContent = CSS;
    (document.head || document.documentElement).appendChild(style);
  }

  class DeliveryError extends Error {
    constructor(status, detail) {
      super(`the server answered ${status}${detail ? `: ${detail}` : ""}`);
      this.status = status;
    }
  }

  // ----------------------------------------------------------------- widget

  class Widget {
    constructor(options) {
      this.bot = options.bot;
      this.server = options.server.replace(/\/+$/, "");
      // What a bot's relative URIs are resolved against: the server, never the host page.
      this.base = serverBase(this.server);
      this.mode = options.mode === "page" ? "page" : "launcher";
      this.lang = chooseLanguage(options);
      this.strings = STRINGS[this.lang];
      // data-title / the `title` option, else ?title= on the chat page, else the
      // bot file's title (the chat page has it as data-bot-title; an embedded
      // widget asks the server), else the bot id, capitalised.
      const title = cleanTitle(options.title) || cleanTitle(options.queryTitle);
      const botTitle = cleanTitle(options.botTitle);
      this.title = title || botTitle || prettyTitle(this.bot, this.strings);
      this.needsTitle = !title && typeof options.botTitle !== "string";
      this.placeholder = options.placeholder || this.strings.placeholder;
      this.storageKey = `flowbot:v1:${this.server}:${this.bot}`;
      const reserved = this.mode === "page" ? PAGE_PARAMS : null;
      this.params = paramsFrom(options.search || "", options.params || {}, reserved);
      this.conversation = null; // {userKey, token, conversationId, transcript, quickReplies}
      this.started = false;
      this.sendChain = Promise.resolve();
      this.renderChain = Promise.resolve();
      this.pendingRequests = 0;
      this.delaying = false;
      this.typingTimer = null;
      this.retrying = false;
      this.eventsDown = false;
      this.events = null;
      this.eventFailures = 0;
      this.eventRetryTimer = null;
      this.wake = null;
      this.destroyed = false;
      this.loadConversation(options);
      this.buildDom(options);
      this.restoreTranscript();
      if (this.needsTitle) this.fetchTitle();
      this.onOnline = () => this.wakeUp();
      window.addEventListener("online", this.onOnline);
      if (this.mode === "page" || options.open) this.open();
    }

    // -- conversation state (localStorage, one entry per server and bot)

    loadConversation(options) {
      const stored = storage.get(this.storageKey);
      let conversation = stored && typeof stored === "object" ? stored : {};
      if (options.restart) conversation = {};
      const userKey = options.userKey && asText(options.userKey).trim();
      if (userKey && userKey !== conversation.userKey) conversation = { userKey };
      if (typeof conversation.userKey !== "string" || !conversation.userKey) {
        conversation = { userKey: randomId() };
      }
      if (!Array.isArray(conversation.transcript)) conversation.transcript = [];
      if (!Array.isArray(conversation.quickReplies)) conversation.quickReplies = [];
      this.conversation = conversation;
      this.save();
    }

    save() {
      storage.set(this.storageKey, this.conversation);
    }

    // Drops the token and conversation id (and, for a new user, the userKey).
    // `keepTranscript`: the messages on screen stay stored too (a reopen goes on
    // below them), unlike a restart, which clears the screen.
    forgetConversation({ newUser = false, keepTranscript = false } = {}) {
      const userKey = newUser ? randomId() : this.conversation.userKey;
      const transcript = keepTranscript ? this.conversation.transcript : [];
      this.conversation = { userKey, transcript, quickReplies: [] };
      this.save();
      this.closeEvents();
    }

    record(entry) {
      const transcript = this.conversation.transcript;
      transcript.push(entry);
      if (transcript.length > MAX_TRANSCRIPT) transcript.splice(0, transcript.length - MAX_TRANSCRIPT);
      this.save();
    }

    // -- DOM

    buildDom(options) {
      injectStyles();
      const root = el("div", `fb-root fb-mode-${this.mode}`, {
        "data-testid": "flowbot",
        "data-bot": this.bot,
        "data-theme": options.theme || null,
        lang: this.lang,
      });
      if (options.position === "left") root.classList.add("fb-left");
      this.root = root;

      const panelId = `fb-panel-${Math.random().toString(36).slice(2, 10)}`;
      const panel = el("section", "fb-panel", {
        id: panelId,
        "aria-label": this.title,
        role: this.mode === "launcher" ? "dialog" : "region",
        "data-testid": "flowbot-panel",
      });
      this.panel = panel;

      const t = this.strings;
      const header = el("header", "fb-header");
      this.avatar = el("div", "fb-avatar", { "aria-hidden": "true" });
      header.appendChild(this.avatar);
      const titleBox = el("div", "fb-title-box");
      this.titleLine = el("div", "fb-title", { "data-testid": "flowbot-title" });
      titleBox.appendChild(this.titleLine);
      this.status = textEl("div", "fb-status", t.online);
      titleBox.appendChild(this.status);
      header.appendChild(titleBox);
      const restart = el("button", "fb-header-button fb-restart", {
        type: "button",
        "aria-label": t.restart,
        title: t.restart,
        "data-testid": "flowbot-restart",
      });
      restart.appendChild(icon("restart"));
      restart.addEventListener("click", () => this.restart());
      header.appendChild(restart);
      if (this.mode === "launcher") {
        const close = el("button", "fb-header-button fb-close", {
          type: "button",
          "aria-label": t.closeChat,
          title: t.close,
          "data-testid": "flowbot-close",
        });
        close.appendChild(icon("close"));
        close.addEventListener("click", () => this.close());
        header.appendChild(close);
      }
      panel.appendChild(header);

      this.notice = el("div", "fb-notice", { role: "status", hidden: true, "data-testid": "flowbot-notice" });
      panel.appendChild(this.notice);

      const scroll = el("div", "fb-scroll");
      this.scroller = scroll;
      this.stickToBottom = true;
      scroll.addEventListener(
        "scroll",
        () => {
          this.stickToBottom = this.nearBottom();
        },
        { passive: true },
      );
      this.list = el("div", "fb-messages", {
        role: "log",
        "aria-live": "polite",
        "aria-relevant": "additions",
        "aria-label": t.messages,
        "data-testid": "flowbot-messages",
      });
      scroll.appendChild(this.list);
      this.quickReplies = el("div", "fb-quick-replies", {
        role: "group",
        "aria-label": t.suggestedReplies,
        hidden: true,
        "data-testid": "flowbot-quick-replies",
      });
      scroll.appendChild(this.quickReplies);
      this.typing = el("div", "fb-typing", {
        role: "status",
        hidden: true,
        "data-testid": "flowbot-typing",
      });
      for (let i = 0; i < 3; i += 1) this.typing.appendChild(el("span"));
      scroll.appendChild(this.typing);
      panel.appendChild(scroll);

      const composer = el("form", "fb-composer", { "data-testid": "flowbot-composer" });
      const inputId = `${panelId}-input`;
      const label = textEl("label", "fb-visually-hidden", t.inputLabel);
      label.htmlFor = inputId;
      composer.appendChild(label);
      this.input = el("textarea", "fb-input", {
        id: inputId,
        rows: 1,
        maxlength: MAX_INPUT_CHARS,
        placeholder: this.placeholder,
        autocomplete: "off",
        enterkeyhint: "send",
        "data-testid": "flowbot-input",
      });
      this.sendButton = el("button", "fb-send", {
        type: "submit",
        "aria-label": t.send,
        title: t.send,
        disabled: true,
        "data-testid": "flowbot-send",
      });
      this.sendButton.appendChild(icon("send"));
      composer.appendChild(this.input);
      composer.appendChild(this.sendButton);
      composer.addEventListener("submit", (event) => {
        event.preventDefault();
        this.submitInput();
      });
      this.input.addEventListener("keydown", (event) => {
        // Enter sends, Shift+Enter breaks the line; never while an IME composes (Korean input).
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
          event.preventDefault();
          this.submitInput();
        }
      });
      this.input.addEventListener("input", () => this.resizeInput());
      panel.appendChild(composer);

      if (this.mode === "launcher") {
        this.launcher = el("button", "fb-launcher", {
          type: "button",
          "aria-controls": panelId,
          "aria-expanded": "false",
          "data-testid": "flowbot-launcher",
        });
        this.launcher.appendChild(icon("chat"));
        this.unread = el("span", "fb-unread", { hidden: true });
        this.launcher.appendChild(this.unread);
        this.launcher.addEventListener("click", () => this.toggle());
        root.appendChild(this.launcher);
        panel.addEventListener("keydown", (event) => {
          if (event.key === "Escape") this.close();
        });
      }
      root.appendChild(panel);
      (options.container || document.body).appendChild(root);
      // The chat page is the widget's own: its document speaks the widget's language.
      if (this.mode === "page") document.documentElement.lang = this.lang;
      this.showTitle();
    }

    // Puts this.title wherever it shows: header, avatar, labels, the page's title.
    showTitle() {
      const t = this.strings;
      this.titleLine.textContent = this.title;
      this.avatar.textContent = (Array.from(this.title)[0] || "").toUpperCase();
      this.panel.setAttribute("aria-label", this.title);
      this.typing.setAttribute("aria-label", t.typing(this.title));
      if (this.launcher && !this.root.classList.contains("fb-open")) {
        this.launcher.setAttribute("aria-label", t.openChat(this.title));
      }
      if (this.mode === "page") document.title = this.title;
    }

    // The bot file's title, from the server (GET /chat/{botId}/info): for a
    // widget given no title (embedded without data-title). Shown once it comes.
    async fetchTitle() {
      const url = `${this.server}/chat/${encodeURIComponent(this.bot)}/info`;
      try {
        const response = await fetch(url, { credentials: "omit" });
        if (!response.ok) return;
        const info = await response.json();
        const title = cleanTitle(info && info.title);
        if (title && !this.destroyed) {
          this.title = title;
          this.showTitle();
        }
      } catch {
        /* offline or an older server: the bot id stays the title */
      }
    }

    resizeInput() {
      const input = this.input;
      input.style.height = "auto";
      input.style.height = `${Math.min(input.scrollHeight + 2, 132)}px`;
      this.sendButton.disabled = !input.value.trim();
    }

    nearBottom() {
      const s = this.scroller;
      return s.scrollHeight - s.scrollTop - s.clientHeight < 120;
    }

    // Follows new content only while the reader is at the bottom: someone
    // scrolled up to reread is not pulled down by the next bubble.
    scrollToBottom(force) {
      if (!force && !this.stickToBottom) return;
      this.scroller.scrollTop = this.scroller.scrollHeight;
      this.stickToBottom = true;
    }

    appendRow(content, from, { animate = true } = {}) {
      if (from === "user") this.stickToBottom = true;
      const row = el("div", `fb-row fb-row-${from}${animate ? " fb-enter" : ""}`);
      row.appendChild(content);
      this.list.appendChild(row);
      this.scrollToBottom();
      return row;
    }

    updateTyping() {
      const show = this.delaying || this.pendingRequests > 0;
      if (!show) {
        clearTimeout(this.typingTimer);
        this.typingTimer = null;
        this.typing.hidden = true;
        return;
      }
      if (!this.typing.hidden || this.typingTimer) return;
      // A fast answer shows no indicator at all; a delay shows it at once.
      const after = this.delaying ? 0 : TYPING_AFTER_MS;
      this.typingTimer = setTimeout(() => {
        this.typingTimer = null;
        if (!(this.delaying || this.pendingRequests > 0)) return;
        this.typing.hidden = false;
        this.scrollToBottom();
      }, after);
    }

    setNotice() {
      const offline = this.retrying || this.eventsDown;
      this.root.classList.toggle("fb-offline", offline);
      this.status.textContent = offline ? this.strings.reconnecting : this.strings.online;
      this.notice.textContent = this.strings.reconnecting;
      this.notice.hidden = !offline;
    }

    // -- open / close (launcher mode)

    open() {
      if (this.mode === "launcher") {
        this.root.classList.add("fb-open");
        this.launcher.setAttribute("aria-expanded", "true");
        this.launcher.setAttribute("aria-label", this.strings.closeChat);
        this.launcher.replaceChild(icon("close"), this.launcher.firstChild);
        this.unread.hidden = true;
        setTimeout(() => this.input.focus({ preventScroll: true }), 50);
      }
      this.start();
      this.stickToBottom = true;
      this.scrollToBottom();
    }

    close() {
      if (this.mode !== "launcher") return;
      this.root.classList.remove("fb-open");
      this.launcher.setAttribute("aria-expanded", "false");
      this.launcher.setAttribute("aria-label", this.strings.openChat(this.title));
      this.launcher.replaceChild(icon("chat"), this.launcher.firstChild);
      this.launcher.focus({ preventScroll: true });
    }

    toggle() {
      if (this.mode === "launcher" && this.root.classList.contains("fb-open")) this.close();
      else this.open();
    }

    isOpen() {
      return this.mode === "page" || this.root.classList.contains("fb-open");
    }

    // -- conversation lifecycle

    start() {
      if (this.started) return;
      this.started = true;
      if (this.conversation.token && this.conversation.conversationId) {
        this.connectEvents();
      } else {
        this.deliverInOrder({ event: "open", params: this.params });
      }
    }

    restart() {
      // A new userKey: a fresh conversation whatever the server does with an
      // "open" of a known user.
      this.forgetConversation({ newUser: true });
      this.list.replaceChildren();
      this.clearQuickReplies();
      this.started = false;
      this.start();
      this.input.focus({ preventScroll: true });
    }

    destroy() {
      this.destroyed = true;
      this.closeEvents();
      window.removeEventListener("online", this.onOnline);
      this.root.remove();
    }

    submitInput() {
      const value = this.input.value.trim();
      if (!value) return;
      this.input.value = "";
      this.resizeInput();
      this.send(value);
    }

    // Public: send a text, or {text, payload} / {text, goto} like a click.
    send(message) {
      const body = typeof message === "string" ? { text: message } : Object.assign({}, message);
      const label = asText(body.text);
      const bubble = label ? this.showUserMessage(label) : null;
      this.clearQuickReplies();
      this.conversation.quickReplies = [];
      this.save();
      if (!this.started) {
        this.started = true;
        if (!this.conversation.token) {
          // The open request goes first so the welcome arrives before the answer.
          this.deliverInOrder({ event: "open", params: this.params });
        } else {
          this.connectEvents();
        }
      }
      return this.deliverInOrder(body, bubble);
    }

    showUserMessage(label) {
      const bubble = textEl("div", "fb-bubble fb-user fb-pending", label);
      bubble.setAttribute("data-testid", "flowbot-user-bubble");
      this.appendRow(bubble, "user");
      this.record({ from: "user", text: label });
      return bubble;
    }

    clickPostback(label, payload) {
      const body = { text: label };
      if (payload !== null && payload !== undefined && payload !== "") {
        body.payload = typeof payload === "string" ? payload : JSON.stringify(payload);
      }
      this.send(body);
    }

    clickGoto(label, button) {
      const target = { flowId: button.flowId };
      if (button.nodeId !== null && button.nodeId !== undefined && button.nodeId !== "") {
        target.nodeId = button.nodeId;
      }
      this.send({ text: label, goto: target });
    }

    // Requests go one at a time, in order; each keeps its messageId across retries
    // so the server answers a retried request once.
    deliverInOrder(body, bubble) {
      const request = Object.assign({ messageId: randomId() }, body);
      const done = this.sendChain.then(() => this.deliver(request, bubble));
      this.sendChain = done.catch(() => undefined);
      return done;
    }

    async deliver(body, bubble) {
      this.pendingRequests += 1;
      this.updateTyping();
      try {
        const data = await this.post(body);
        if (bubble) bubble.classList.remove("fb-pending");
        this.enqueueReplies(data.replies, data.quickReplies);
        return data;
      } catch (error) {
        if (bubble) this.markFailed(bubble, body);
        else console.error("flowbot:", error);
        throw error;
      } finally {
        this.pendingRequests -= 1;
        this.updateTyping();
      }
    }

    markFailed(bubble, body) {
      bubble.classList.remove("fb-pending");
      bubble.classList.add("fb-failed");
      const row = bubble.parentElement;
      if (!row || row.querySelector(".fb-delivery")) return;
      const note = el("div", "fb-delivery", { "data-testid": "flowbot-failed" });
      note.appendChild(textEl("span", null, this.strings.notDelivered));
      const retry = textEl("button", null, this.strings.retry);
      retry.type = "button";
      retry.addEventListener("click", () => {
        note.remove();
        bubble.classList.remove("fb-failed");
        bubble.classList.add("fb-pending");
        this.deliverInOrder(body, bubble).catch(() => undefined);
      });
      note.appendChild(retry);
      row.appendChild(note);
    }

    async post(body) {
      const url = `${this.server}/channels/web/${encodeURIComponent(this.bot)}/messages`;
      const isOpen = body.event === "open";
      let attempt = 0;
      let reopens = 0;
      for (;;) {
        if (this.destroyed) throw new Error("the widget was removed");
        const headers = { "Content-Type": "application/json" };
        const sentToken = this.conversation.token || null;
        if (sentToken) headers.Authorization = `Bearer ${sentToken}`;
        const payload = Object.assign({}, body, { userKey: this.conversation.userKey });
        let response = null;
        try {
          response = await fetch(url, {
            method: "POST",
            headers,
            body: JSON.stringify(payload),
            credentials: "omit",
            cache: "no-store",
          });
        } catch {
          response = null; // network error: the server is down or restarting
        }
        if (response && response.ok) {
          let data = null;
          try {
            data = await response.json();
          } catch {
            data = null;
          }
          if (data && typeof data === "object") {
            this.setRetrying(false);
            this.remember(data);
            return data;
          }
          throw new DeliveryError(response.status, "the answer is not JSON");
        }
        if (response && response.status === 403 && reopens < 2) {
          // The server does not accept our token: open a fresh conversation,
          // then send again, silently. An expired token (code "token_expired")
          // leaves the old conversation on the server, where the old userKey
          // would find it again: go on as a new user at once. When even a
          // token-less request is refused, the userKey belongs to a conversation
          // whose token we lost: a new user too. Otherwise (the server lost the
          // conversation) the userKey stays.
          const expired = (await errorCode(response)) === TOKEN_EXPIRED;
          reopens += 1;
          this.forgetConversation({ newUser: expired || !sentToken, keepTranscript: true });
          if (!isOpen) {
            const opened = await this.post({ event: "open", params: this.params, messageId: randomId() });
            this.enqueueReplies(opened.replies, opened.quickReplies);
          }
          continue;
        }
        if (!response || RETRY_STATUSES.has(response.status)) {
          this.setRetrying(true);
          await this.pause(backoff(attempt));
          attempt += 1;
          continue;
        }
        this.setRetrying(false);
        let detail = "";
        try {
          const problem = await response.json();
          detail = asText(problem && (problem.detail || problem.error || problem.message));
        } catch {
          /* no JSON problem */
        }
        throw new DeliveryError(response.status, detail);
      }
    }

    setRetrying(value) {
      if (this.retrying === value) return;
      this.retrying = value;
      this.setNotice();
    }

    // A backoff pause that the browser's "online" event cuts short.
    pause(ms) {
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        const self = this;
        function done() {
          clearTimeout(timer);
          if (self.wake === done) self.wake = null;
          resolve();
        }
        this.wake = done;
      });
    }

    wakeUp() {
      if (this.wake) this.wake();
      if (!this.events && this.started && this.conversation.token) this.connectEvents();
    }

    remember(data) {
      const token = typeof data.token === "string" && data.token ? data.token : this.conversation.token;
      const id =
        data.conversationId !== undefined && data.conversationId !== null
          ? asText(data.conversationId)
          : this.conversation.conversationId;
      const changed = token !== this.conversation.token || id !== this.conversation.conversationId;
      this.conversation.token = token;
      this.conversation.conversationId = id;
      this.save();
      if (changed || !this.events) {
        this.eventFailures = 0;
        this.connectEvents();
      }
    }

    // -- server-sent events: messages pushed through the JSON API

    connectEvents() {
      this.closeEvents();
      const { conversationId, token } = this.conversation;
      if (!conversationId || !token || typeof window.EventSource !== "function" || this.destroyed) return;
      const url =
        `${this.server}/channels/web/${encodeURIComponent(this.bot)}` +
        `/conversations/${encodeURIComponent(conversationId)}/events?token=${encodeURIComponent(token)}`;
      const source = new EventSource(url);
      this.events = source;
      source.addEventListener("open", () => {
        if (source !== this.events) return;
        this.eventFailures = 0;
        this.setEventsDown(false);
      });
      source.addEventListener("replies", (event) => {
        if (source !== this.events) return;
        let data = null;
        try {
          data = JSON.parse(event.data);
        } catch {
          return;
        }
        if (!data || typeof data !== "object") return;
        // An agent's messages carry their name; `joined` says one took the conversation.
        const agent = data.source === "agent" ? agentName(data.agent) : "";
        if (agent && data.joined === true) this.enqueueNotice(this.strings.joined(agent));
        this.enqueueReplies(data.replies, data.quickReplies, { agent });
        if (!this.isOpen() && this.unread) this.unread.hidden = false;
      });
      source.addEventListener("error", () => {
        if (source !== this.events) return;
        if (source.readyState !== EventSource.CLOSED) {
          // The browser reconnects by itself (server restart, network drop).
          this.setEventsDown(true);
          return;
        }
        // Refused (403/404/5xx). EventSource does not tell why: ask once with
        // fetch. An expired token starts a new conversation; anything else is
        // tried again a few times, then waits for the next successful request,
        // which reopens the stream with a fresh token.
        source.close();
        this.events = null;
        this.eventFailures += 1;
        this.refusalCode(url).then((code) => {
          if (this.events || this.destroyed || this.conversation.token !== token) return;
          if (code === TOKEN_EXPIRED) {
            this.renewExpired(token);
            return;
          }
          if (this.eventFailures > EVENT_FAILURES_BEFORE_PAUSE) {
            this.setEventsDown(false);
            return;
          }
          this.setEventsDown(true);
          clearTimeout(this.eventRetryTimer);
          this.eventRetryTimer = setTimeout(() => {
            if (!this.events) this.connectEvents();
          }, backoff(this.eventFailures));
        });
      });
    }

    // The error code with which the server refuses the event stream at `url`
    // (null: none, or the stream opens now; that stream is dropped at once).
    async refusalCode(url) {
      const controller = typeof AbortController === "function" ? new AbortController() : null;
      try {
        const response = await fetch(url, {
          headers: { Accept: "text/event-stream" },
          credentials: "omit",
          cache: "no-store",
          signal: controller ? controller.signal : undefined,
        });
        return response.ok ? null : await errorCode(response);
      } catch {
        return null;
      } finally {
        if (controller) controller.abort();
      }
    }

    // The conversation of `token` has expired (seen on the event stream): a new
    // user opens a new conversation, as on a first visit, without a word to the
    // visitor. In line with the requests, so a message on its way (which finds
    // the expiry itself and reopens) is not overtaken, and no second
    // conversation is opened after it.
    renewExpired(token) {
      const done = this.sendChain.then(() => {
        if (this.destroyed || this.conversation.token !== token) return undefined;
        this.forgetConversation({ newUser: true, keepTranscript: true });
        return this.deliver({ event: "open", params: this.params, messageId: randomId() });
      });
      this.sendChain = done.catch(() => undefined);
      return done;
    }

    closeEvents() {
      clearTimeout(this.eventRetryTimer);
      if (this.events) this.events.close();
      this.events = null;
      this.setEventsDown(false);
    }

    setEventsDown(value) {
      if (this.eventsDown === value) return;
      this.eventsDown = value;
      this.setNotice();
    }

    // -- rendering replies, one after another, honouring each reply's delay

    enqueueReplies(replies, quickReplies, { instant = false, agent = "" } = {}) {
      const list = Array.isArray(replies) ? replies : [];
      const quick = Array.isArray(quickReplies) ? quickReplies : [];
      this.renderChain = this.renderChain
        .then(async () => {
          if (list.length || quick.length) this.clearQuickReplies();
          for (const reply of list) {
            if (!reply || typeof reply !== "object") continue;
            const delay = instant ? 0 : clampDelay(reply.delay);
            if (delay) {
              this.delaying = true;
              this.updateTyping();
              await sleep(delay);
              this.delaying = false;
              this.updateTyping();
            }
            // an agent's reply is shown (and restored) under their name
            this.showReply(reply, !instant, agent);
            this.record(agent ? { from: "bot", message: reply, agent } : { from: "bot", message: reply });
          }
          if (list.length || quick.length) {
            this.conversation.quickReplies = quick;
            this.save();
            this.showQuickReplies(quick);
          }
        })
        .catch((error) => console.error("flowbot: cannot show a reply", error));
      return this.renderChain;
    }

    // A line between the bubbles ("Kim joined the conversation"), in turn with the replies.
    enqueueNotice(text) {
      this.renderChain = this.renderChain
        .then(() => {
          this.showNotice(text, true);
          this.record({ from: "event", text });
        })
        .catch((error) => console.error("flowbot: cannot show a notice", error));
      return this.renderChain;
    }

    showNotice(text, animate) {
      const line = textEl("div", "fb-event", text);
      line.setAttribute("data-testid", "flowbot-event");
      this.appendRow(line, "event", { animate });
    }

    restoreTranscript() {
      for (const entry of this.conversation.transcript) {
        if (!entry || typeof entry !== "object") continue;
        if (entry.from === "user") {
          const bubble = textEl("div", "fb-bubble fb-user", asText(entry.text));
          bubble.setAttribute("data-testid", "flowbot-user-bubble");
          this.appendRow(bubble, "user", { animate: false });
        } else if (entry.from === "bot" && entry.message && typeof entry.message === "object") {
          this.showReply(entry.message, false, agentName(entry.agent));
        } else if (entry.from === "event" && typeof entry.text === "string") {
          this.showNotice(entry.text, false);
        }
      }
      this.showQuickReplies(this.conversation.quickReplies);
      this.stickToBottom = true;
      this.scrollToBottom();
    }

    // `agent`: the name of the person who wrote it (an agent), "" for the bot.
    showReply(message, animate, agent) {
      let node = null;
      try {
        node = this.renderMessage(message);
      } catch (error) {
        console.error("flowbot: cannot render a message", error, message);
      }
      if (!node) return;
      if (!agent) {
        this.appendRow(node, "bot", { animate });
        return;
      }
      node.classList.add("fb-agent");
      node.setAttribute("data-agent", agent);
      const previous = this.list.lastElementChild;
      const sameAgent =
        previous && previous.classList.contains("fb-row-agent") && previous.getAttribute("data-agent") === agent;
      const row = this.appendRow(node, "bot", { animate });
      row.classList.add("fb-row-agent");
      row.setAttribute("data-agent", agent);
      row.setAttribute("role", "group");
      row.setAttribute("aria-label", this.strings.agent(agent));
      if (sameAgent) return; // one name over a run of the same person's messages
      const name = textEl("div", "fb-agent-name", agent);
      name.setAttribute("aria-hidden", "true"); // the row's label says it
      name.setAttribute("data-testid", "flowbot-agent-name");
      row.insertBefore(name, node);
    }

    renderMessage(message) {
      switch (message.type) {
        case "text":
          return this.renderText(message);
        case "media":
          return this.renderMedia(message.media || {});
        case "cards":
          return this.renderCards(Array.isArray(message.cards) ? message.cards : []);
        case "location":
          return this.renderLocation(message);
        default:
          // An unknown message type still shows its text, if it has one.
          return typeof message.text === "string" ? this.renderText(message) : null;
      }
    }

    renderText(message) {
      const bubble = el("div", "fb-bubble fb-bot", { "data-testid": "flowbot-bot-bubble", "data-type": "text" });
      const text = el("div", "fb-text");
      appendLinkified(text, asText(message.text));
      bubble.appendChild(text);
      const buttons = this.renderButtons(message.buttons);
      if (buttons) {
        bubble.classList.add("fb-has-buttons");
        bubble.appendChild(buttons);
      }
      return bubble;
    }

    renderMedia(media, alt) {
      const bubble = el("div", "fb-bubble fb-bot fb-media", { "data-testid": "flowbot-bot-bubble", "data-type": "media" });
      bubble.appendChild(this.renderMediaElement(media, alt || ""));
      return bubble;
    }

    renderMediaElement(media, alt) {
      const uri = safeMedia(media.uri, this.base);
      const kind = mediaKind(media.contentType);
      if (!uri) return this.missingMedia(alt);
      if (kind === "video") {
        return el("video", "fb-video", { src: uri, controls: true, playsinline: true, preload: "metadata" });
      }
      if (kind === "audio") {
        return el("audio", "fb-audio", { src: uri, controls: true, preload: "none" });
      }
      const img = el("img", "fb-image", { src: uri, alt, loading: "lazy", decoding: "async" });
      img.addEventListener("error", () => img.replaceWith(this.missingMedia(alt)), { once: true });
      img.addEventListener("load", () => this.scrollToBottom(), { once: true });
      return img;
    }

    // Shown where an image cannot load (offline, broken URL): keeps the card's shape.
    missingMedia(alt) {
      const box = el("div", "fb-media-missing", {
        role: "img",
        "aria-label": alt || this.strings.imageUnavailable,
      });
      const label = asText(alt).trim();
      if (label) box.appendChild(textEl("div", "fb-initial", Array.from(label)[0].toUpperCase()));
      else box.appendChild(icon("image"));
      return box;
    }

    renderCards(cards) {
      if (!cards.length) return null;
      if (cards.length === 1) return this.renderCard(cards[0]);
      const box = el("div", "fb-carousel-box", { "data-testid": "flowbot-carousel" });
      const t = this.strings;
      const track = el("div", "fb-carousel", {
        role: "group",
        "aria-roledescription": t.carousel,
        "aria-label": t.cards(cards.length),
        tabindex: "0",
      });
      cards.forEach((card, index) => {
        const node = this.renderCard(card);
        node.setAttribute("aria-roledescription", t.slide);
        node.setAttribute("aria-label", t.slideOf(index + 1, cards.length));
        track.appendChild(node);
      });
      const prev = el("button", "fb-carousel-nav fb-prev", { type: "button", "aria-label": t.previousCard });
      prev.appendChild(icon("left"));
      const next = el("button", "fb-carousel-nav fb-next", { type: "button", "aria-label": t.nextCard });
      next.appendChild(icon("right"));
      const step = () => {
        const first = track.firstElementChild;
        return first ? first.getBoundingClientRect().width + 10 : track.clientWidth * 0.8;
      };
      prev.addEventListener("click", () => track.scrollBy({ left: -step(), behavior: "smooth" }));
      next.addEventListener("click", () => track.scrollBy({ left: step(), behavior: "smooth" }));
      const update = () => {
        const max = track.scrollWidth - track.clientWidth;
        box.classList.toggle("fb-scrollable", max > 4);
        prev.disabled = track.scrollLeft <= 4;
        next.disabled = track.scrollLeft >= max - 4;
      };
      track.addEventListener("scroll", update, { passive: true });
      if (typeof ResizeObserver === "function") new ResizeObserver(update).observe(track);
      requestAnimationFrame(update);
      box.appendChild(prev);
      box.appendChild(track);
      box.appendChild(next);
      return box;
    }

    renderCard(card) {
      const node = el("div", "fb-card", { "data-testid": "flowbot-card" });
      const title = asText(card.title);
      if (card.media && typeof card.media === "object" && card.media.uri) {
        const media = el("div", "fb-card-media");
        media.appendChild(this.renderMediaElement(card.media, title));
        node.appendChild(media);
      }
      const body = el("div", "fb-card-body");
      if (title) {
        const heading = el("div", "fb-card-title", { role: "heading", "aria-level": "3" });
        const link = safeLink(card.uri, this.base);
        if (link) {
          const a = el("a", null, { href: link, target: "_blank", rel: "noopener noreferrer" });
          a.textContent = title;
          heading.appendChild(a);
        } else {
          heading.textContent = title;
        }
        body.appendChild(heading);
      }
      const description = asText(card.description);
      if (description) body.appendChild(textEl("div", "fb-card-description", description));
      node.appendChild(body);
      const buttons = this.renderButtons(card.buttons);
      if (buttons) node.appendChild(buttons);
      return node;
    }

    renderLocation(message) {
      const bubble = el("div", "fb-bubble fb-bot fb-has-buttons", {
        "data-testid": "flowbot-bot-bubble",
        "data-type": "location",
      });
      const lat = Number(message.latitude);
      const lon = Number(message.longitude);
      const info = el("div", "fb-location");
      info.appendChild(icon("pin"));
      const lines = el("div");
      lines.appendChild(textEl("div", "fb-location-label", asText(message.label) || this.strings.location));
      if (Number.isFinite(lat) && Number.isFinite(lon)) {
        lines.appendChild(textEl("div", "fb-location-coords", `${lat.toFixed(5)}, ${lon.toFixed(5)}`));
      }
      info.appendChild(lines);
      bubble.appendChild(info);
      if (Number.isFinite(lat) && Number.isFinite(lon)) {
        const buttons = el("div", "fb-buttons");
        const href = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
        const link = el("a", "fb-button fb-button-link fb-map-link", {
          href,
          target: "_blank",
          rel: "noopener noreferrer",
        });
        link.appendChild(textEl("span", null, this.strings.openMap));
        link.appendChild(icon("external"));
        buttons.appendChild(link);
        bubble.appendChild(buttons);
      }
      return bubble;
    }

    // Buttons on bubbles and cards stay clickable for the whole conversation:
    // an old click is sent like a new one and the server routes it (SPEC §3).
    renderButtons(buttons) {
      if (!Array.isArray(buttons) || !buttons.length) return null;
      const box = el("div", "fb-buttons");
      for (const button of buttons) {
        if (!button || typeof button !== "object") continue;
        const label = asText(button.label);
        if (button.type === "link") {
          const href = safeLink(button.uri, this.base);
          if (href) {
            const link = el("a", "fb-button fb-button-link", {
              href,
              target: "_blank",
              rel: "noopener noreferrer",
              "data-testid": "flowbot-button",
            });
            link.appendChild(textEl("span", null, label));
            link.appendChild(icon("external"));
            box.appendChild(link);
          } else {
            const dead = textEl("span", "fb-button fb-button-link", label);
            dead.setAttribute("aria-disabled", "true");
            box.appendChild(dead);
          }
          continue;
        }
        const node = textEl("button", `fb-button fb-button-${button.type === "goto" ? "goto" : "postback"}`, label);
        node.type = "button";
        node.setAttribute("data-testid", "flowbot-button");
        if (button.type === "goto") {
          node.addEventListener("click", () => this.clickGoto(label, button));
        } else {
          node.addEventListener("click", () => this.clickPostback(label, button.payload));
        }
        box.appendChild(node);
      }
      return box.childElementCount ? box : null;
    }

    // Quick replies belong to the newest answer: gone once used or replaced.
    showQuickReplies(quickReplies) {
      this.clearQuickReplies();
      const items = Array.isArray(quickReplies) ? quickReplies : [];
      for (const reply of items) {
        if (!reply || typeof reply !== "object") continue;
        const label = asText(reply.label);
        if (!label) continue;
        const node = textEl("button", "fb-quick-reply", label);
        node.type = "button";
        node.setAttribute("data-testid", "flowbot-quick-reply");
        node.addEventListener("click", () => this.clickPostback(label, reply.payload));
        this.quickReplies.appendChild(node);
      }
      this.quickReplies.hidden = !this.quickReplies.childElementCount;
      if (!this.quickReplies.hidden) this.scrollToBottom();
    }

    clearQuickReplies() {
      this.quickReplies.replaceChildren();
      this.quickReplies.hidden = true;
    }
  }

  // ------------------------------------------------------------- bootstrap

  function optionsFromScript(script) {
    const data = script.dataset;
    const mode = data.mode === "page" ? "page" : "launcher";
    let params = {};
    if (data.params) {
      try {
        const parsed = JSON.parse(data.params);
        if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) params = parsed;
      } catch {
        console.error("flowbot: data-params is not a JSON object; ignored");
      }
    }
    let server = data.server;
    if (!server) {
      try {
        server = new URL(script.src, window.location.href).origin;
      } catch {
        server = window.location.origin;
      }
    }
    return {
      bot: data.bot || botIdFromPath(window.location.pathname),
      server,
      mode,
      title: data.title,
      // Set by the chat page: the bot file's title ("" when it has none).
      botTitle: data.botTitle,
      lang: data.lang,
      placeholder: data.placeholder,
      theme: data.theme === "dark" || data.theme === "light" ? data.theme : null,
      position: data.position,
      open: data.open === "true" || data.open === "",
      params,
      container: data.target ? document.querySelector(data.target) : null,
    };
  }

  function resolveOptions(options) {
    const query = new URLSearchParams(window.location.search);
    const restart = query.get("restart");
    const resolved = Object.assign(
      {
        server: window.location.origin,
        mode: "launcher",
        search: window.location.search,
        userKey: query.get("userKey"),
        restart: restart === "1" || restart === "true",
      },
      options,
    );
    // ?title= and ?lang= belong to the chat page; an embedding page's query is its own.
    if (resolved.mode === "page") {
      if (resolved.queryTitle === undefined) resolved.queryTitle = query.get("title");
      if (resolved.queryLang === undefined) resolved.queryLang = query.get("lang");
    }
    return resolved;
  }

  function init(options) {
    const resolved = resolveOptions(options || {});
    if (!resolved.bot) {
      console.error("flowbot: no bot id (set data-bot on the script tag, or open /chat/{botId})");
      return null;
    }
    const widget = new Widget(resolved);
    Flowbot.instances.push(widget);
    if (resolved.restart && resolved.mode === "page" && window.history.replaceState) {
      // A reload must not restart again.
      const url = new URL(window.location.href);
      url.searchParams.delete("restart");
      window.history.replaceState(window.history.state, "", url.toString());
    }
    return widget;
  }

  function initFromScript(script) {
    const run = () => init(optionsFromScript(script));
    if (document.body) run();
    else document.addEventListener("DOMContentLoaded", run, { once: true });
  }

  const Flowbot = {
    version: VERSION,
    instances: [],
    init,
    initFromScript,
  };
  window.Flowbot = Flowbot;

  const current = document.currentScript;
  if (current && !current.hasAttribute("data-manual")) initFromScript(current);
})();
