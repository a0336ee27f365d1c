// One node on the canvas: its type, label, a preview of what it sends (texts,
// card thumbnails, buttons, quick replies, each button with its own handle),
// warnings, run highlight and statistics. Memoised: a node re-renders only
// when its own data object changes.
import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { memo } from "react";
import { useT } from "../lib/i18n";
import { summary, typeLabel, type Warning } from "../lib/model";
import type { BotNode, Button, Card, Message, QuickReply } from "../lib/types";

export interface NodeData extends Record<string, unknown> {
  node: BotNode;
  warnings: Warning[];
  highlighted: boolean;
  visits?: number;
  ended?: number;
}

export type StudioNode = Node<NodeData, "studio">;

function ButtonRow({ button, handle }: { button: Button | QuickReply; handle: string | null }) {
  const t = useT();
  const kind = (button as Button).type ?? "postback";
  return (
    <div className={`sn-button sn-button-${kind}`} title={button.payload ? t("node.payload", { payload: String(button.payload) }) : undefined}>
      <span className="sn-button-label">{String(button.label ?? "")}</span>
      {kind === "link" ? <span className="sn-button-kind">↗</span> : null}
      {kind === "goto" ? <span className="sn-button-kind">→ {String((button as Button).flowId ?? "")}</span> : null}
      {button.payload ? <span className="sn-payload">{String(button.payload)}</span> : null}
      {handle ? <Handle type="source" position={Position.Right} id={handle} className="sn-handle sn-handle-button" /> : null}
    </div>
  );
}

function MessagePreview({ message }: { message: Message }) {
  const t = useT();
  if (!message || typeof message !== "object") return null;
  if (message.type === "text")
    return (
      <div className="sn-message">
        <div className="sn-text">{String(message.text ?? "") || <em className="sn-muted">{t("node.emptyText")}</em>}</div>
        {(message.buttons ?? []).map((button, index) => (
          <ButtonRow key={index} button={button} handle={button.type === "postback" ? `btn-${index}` : null} />
        ))}
      </div>
    );
  if (message.type === "media")
    return (
      <div className="sn-message sn-media">
        {String(message.media?.contentType ?? "image").startsWith("image") && message.media?.uri && !message.media.uri.includes("{{") ? (
          <img src={message.media.uri} alt="" loading="lazy" />
        ) : (
          <span>{String(message.media?.contentType ?? "media")}: {String(message.media?.uri ?? "")}</span>
        )}
      </div>
    );
  if (message.type === "cards")
    return (
      <div className="sn-cards">
        {(message.cards ?? []).map((card: Card, i) => (
          <div className="sn-card" key={i}>
            <div className="sn-card-head">
              {card.media?.uri && !card.media.uri.includes("{{") ? <img className="sn-thumb" src={card.media.uri} alt="" loading="lazy" /> : <div className="sn-thumb sn-thumb-empty" />}
              <div className="sn-card-title">{String(card.title ?? "") || <em className="sn-muted">{t("node.noTitle")}</em>}</div>
            </div>
            {(card.buttons ?? []).map((button, index) => (
              <ButtonRow key={index} button={button} handle={button.type === "postback" ? `card-${i}-btn-${index}` : null} />
            ))}
          </div>
        ))}
      </div>
    );
  if (message.type === "location") return <div className="sn-message">📍 {String(message.label ?? "")} ({String(message.latitude)}, {String(message.longitude)})</div>;
  return <div className="sn-message sn-muted">{message.type}</div>;
}

function NodeView({ data, selected }: NodeProps<StudioNode>) {
  const t = useT(); // a language switch re-renders the node (summary() and typeLabel() read it too)
  const { node, warnings, highlighted, visits, ended } = data;
  const nodeData = node.data ?? {};
  const errors = warnings.filter((w) => w.level === "error").length;
  return (
    <div
      className={`sn sn-${node.type}${selected ? " sn-selected" : ""}${highlighted ? " sn-highlighted" : ""}`}
      data-testid="studio-node"
      data-node-id={String(node.id)}
      data-node-type={node.type}
    >
      {node.type !== "entry" ? <Handle type="target" position={Position.Left} className="sn-handle sn-handle-target" /> : null}
      <div className="sn-head">
        <span className="sn-type">{typeLabel(node.type)}</span>
        <span className="sn-label">{String(node.label ?? "")}</span>
        <span className="sn-id">#{String(node.id)}</span>
      </div>
      {visits !== undefined ? (
        <div className="sn-stats" data-testid="node-stats">
          <span title={t("node.visitsTitle")}>{t("node.visits", { n: visits })}</span>
          {ended ? <span title={t("node.endedTitle")} className="sn-dropoff">{t("node.ended", { n: ended })}</span> : null}
        </div>
      ) : null}
      <div className="sn-body">
        {node.type === "response" ? <MessagePreview message={nodeData.message as Message} /> : null}
        {node.type === "keyboard" ? (
          <div className="sn-message">
            <div className="sn-muted">{summary(node)}</div>
            {((nodeData.buttons as QuickReply[] | undefined) ?? []).map((reply, index) => (
              <ButtonRow key={index} button={reply} handle={`qr-${index}`} />
            ))}
          </div>
        ) : null}
        {node.type !== "response" && node.type !== "keyboard" && summary(node) ? <div className="sn-summary">{summary(node)}</div> : null}
      </div>
      {warnings.length ? (
        <div className={`sn-warnings${errors ? " sn-has-errors" : ""}`} data-testid="node-warnings" title={warnings.map((w) => w.text).join("\n")}>
          {errors ? "⛔" : "⚠"} {warnings[0].text}
          {warnings.length > 1 ? ` (+${warnings.length - 1})` : ""}
        </div>
      ) : null}
      <Handle type="source" position={Position.Right} id="out" className="sn-handle sn-handle-out" />
    </div>
  );
}

export default memo(NodeView);
