// Replies rendered as the web widget renders them (widget.js renderMessage and
// friends), with its own class names and stylesheet (virtual:widget-css).
import { memo } from "react";
import type { Button, Card, Media, Message, QuickReply } from "../lib/types";
import { t } from "../lib/i18n";

export interface ClickHandlers {
  onPostback?: (label: string, payload: string | null | undefined) => void;
  onGoto?: (label: string, button: Button) => void;
}

function safeUri(uri: unknown): string | null {
  if (typeof uri !== "string" || !uri) return null;
  if (uri.startsWith("/")) return uri;
  try {
    const url = new URL(uri);
    return ["http:", "https:", "tel:", "mailto:"].includes(url.protocol) ? uri : null;
  } catch {
    return null;
  }
}

function MediaElement({ media, alt }: { media: Media; alt: string }) {
  const uri = safeUri(media?.uri);
  const kind = String(media?.contentType ?? "image");
  if (!uri || uri.includes("{{"))
    return (
      <div className="fb-media-missing" role="img" aria-label={alt || t("reply.image")}>
        {alt ? <div className="fb-initial">{Array.from(alt)[0].toUpperCase()}</div> : <div className="fb-initial">▣</div>}
      </div>
    );
  if (kind.startsWith("video")) return <video className="fb-video" src={uri} controls preload="metadata" />;
  if (kind.startsWith("audio")) return <audio className="fb-audio" src={uri} controls preload="none" />;
  return <img className="fb-image" src={uri} alt={alt} loading="lazy" decoding="async" />;
}

export function Buttons({ buttons, on }: { buttons?: Button[] | null; on?: ClickHandlers }) {
  if (!Array.isArray(buttons) || !buttons.length) return null;
  return (
    <div className="fb-buttons">
      {buttons.map((button, index) => {
        const label = String(button?.label ?? "");
        if (button?.type === "link")
          return (
            <a key={index} className="fb-button fb-button-link" href={safeUri(button.uri) ?? undefined} target="_blank" rel="noopener noreferrer" data-testid="flowbot-button">
              <span>{label}</span> ↗
            </a>
          );
        return (
          <button
            key={index}
            type="button"
            className={`fb-button fb-button-${button?.type === "goto" ? "goto" : "postback"}`}
            data-testid="flowbot-button"
            onClick={() => (button?.type === "goto" ? on?.onGoto?.(label, button) : on?.onPostback?.(label, button?.payload))}
          >
            {label}
          </button>
        );
      })}
    </div>
  );
}

function CardView({ card, on }: { card: Card; on?: ClickHandlers }) {
  const title = String(card.title ?? "");
  return (
    <div className="fb-card" data-testid="flowbot-card">
      {card.media && typeof card.media === "object" && card.media.uri ? (
        <div className="fb-card-media">
          <MediaElement media={card.media} alt={title} />
        </div>
      ) : null}
      <div className="fb-card-body">
        {title ? (
          <div className="fb-card-title" role="heading" aria-level={3}>
            {title}
          </div>
        ) : null}
        {card.description ? <div className="fb-card-description">{String(card.description)}</div> : null}
      </div>
      <Buttons buttons={card.buttons} on={on} />
    </div>
  );
}

export const Reply = memo(function Reply({ message, on }: { message: Message; on?: ClickHandlers }) {
  switch (message.type) {
    case "media":
      return (
        <div className="fb-bubble fb-bot fb-media" data-testid="flowbot-bot-bubble" data-type="media">
          <MediaElement media={message.media as Media} alt="" />
        </div>
      );
    case "cards": {
      const cards = Array.isArray(message.cards) ? message.cards : [];
      if (cards.length === 1) return <CardView card={cards[0]} on={on} />;
      return (
        <div className="fb-carousel-box" data-testid="flowbot-carousel">
          <div className="fb-carousel" role="group" aria-roledescription="carousel" tabIndex={0}>
            {cards.map((card, index) => (
              <CardView key={index} card={card} on={on} />
            ))}
          </div>
        </div>
      );
    }
    case "location": {
      const lat = Number(message.latitude);
      const lon = Number(message.longitude);
      return (
        <div className="fb-bubble fb-bot fb-has-buttons" data-testid="flowbot-bot-bubble" data-type="location">
          <div className="fb-location">
            <span>📍</span>
            <div>
              <div className="fb-location-label">{String(message.label ?? t("reply.location"))}</div>
              {Number.isFinite(lat) && Number.isFinite(lon) ? (
                <div className="fb-location-coords">
                  {lat.toFixed(5)}, {lon.toFixed(5)}
                </div>
              ) : null}
            </div>
          </div>
        </div>
      );
    }
    default: {
      const buttons = message.buttons;
      const has = Array.isArray(buttons) && buttons.length > 0;
      return (
        <div className={`fb-bubble fb-bot${has ? " fb-has-buttons" : ""}`} data-testid="flowbot-bot-bubble" data-type="text">
          <div className="fb-text">{String(message.text ?? "")}</div>
          <Buttons buttons={buttons} on={on} />
        </div>
      );
    }
  }
});

export function QuickReplies({ replies, onPostback }: { replies: QuickReply[]; onPostback?: ClickHandlers["onPostback"] }) {
  if (!replies.length) return null;
  return (
    <div className="fb-quick-replies">
      {replies.map((reply, index) => (
        <button key={index} type="button" className="fb-quick-reply" data-testid="flowbot-quick-reply" onClick={() => onPostback?.(String(reply.label), reply.payload)}>
          {String(reply.label)}
        </button>
      ))}
    </div>
  );
}
