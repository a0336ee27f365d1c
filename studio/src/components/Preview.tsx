// The preview: a chat with the real engine (POST /api/bots/{id}/preview), on the
// draft or on the saved bot, rendered like the widget; the inspector shows per
// turn the nodes run, the edges weighed and why, the context before and after.
import css from "virtual:widget-css";
import { useEffect, useRef, useState } from "react";
import { api, download, type PreviewAnswer, type PreviewMessage, type Turn } from "../lib/api";
import { useStudio } from "../lib/store";
import type { Button, Message, QuickReply } from "../lib/types";
import { QuickReplies, Reply } from "../preview/Replies";
import { useT } from "../lib/i18n";

let injected = false;
function injectWidgetCss() {
  if (injected) return;
  injected = true;
  const style = document.createElement("style");
  style.dataset.source = "widget.js";
  style.textContent = css;
  document.head.appendChild(style);
}

interface Entry {
  send: PreviewMessage; // what the user did ({} = open)
  shown: string | null; // the user's bubble
  answer: PreviewAnswer;
  sessionBefore: unknown;
}

export function Preview() {
  useEffect(injectWidgetCss, []);
  const botId = useStudio((s) => s.botId)!;
  const setHighlight = useStudio((s) => s.setHighlight);
  const [draft, setDraft] = useState(true);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const scroll = useRef<HTMLDivElement>(null);
  const t = useT();

  const session = entries.length ? entries[entries.length - 1].answer.session : undefined;

  async function send(message: PreviewMessage, shown: string | null, from: Entry[] = entries) {
    setBusy(true);
    setError(null);
    const before = from.length ? from[from.length - 1].answer.session : undefined;
    try {
      const bot = draft ? useStudio.getState().bot! : undefined;
      const answer = await api.preview(botId, { ...(bot ? { bot } : {}), ...(before !== undefined ? { session: before } : {}), message });
      const next = [...from, { send: message, shown, answer, sessionBefore: before }];
      setEntries(next);
      setSelected(next.length - 1);
      showTurn(answer.turn);
    } catch (e) {
      const err = e as { message: string; problems?: string[] };
      setError([err.message, ...(err.problems ?? [])].join("\n"));
    } finally {
      setBusy(false);
      setTimeout(() => scroll.current?.scrollTo({ top: 1e9 }), 30);
    }
  }

  function showTurn(turn: Turn | undefined) {
    if (!turn) return setHighlight([]);
    setHighlight(turn.nodes.filter((n) => n.phase !== "unseen").map((n) => ({ flowId: n.flowId, nodeId: n.nodeId })));
  }

  const restart = () => {
    setEntries([]);
    setSelected(null);
    setHighlight([]);
    void send({}, null, []);
  };

  // the conversation from an earlier bot answer on: later turns forgotten
  const restartFrom = (index: number) => {
    const kept = entries.slice(0, index + 1);
    setEntries(kept);
    setSelected(index);
    showTurn(kept[index]?.answer.turn);
  };

  const on = {
    onPostback: (label: string, payload: string | null | undefined) => void send(payload ? { text: label, payload } : { text: label }, label),
    onGoto: (label: string, button: Button) => void send({ goto: { flowId: button.flowId!, ...(button.nodeId ? { nodeId: button.nodeId } : {}) } }, label),
  };

  const saveTest = async () => {
    const name = window.prompt(t("preview.testName"), t("preview.testDefault"));
    if (!name) return;
    try {
      const turns = entries.filter((e) => !e.send.goto).map((e) => ({ send: e.send }));
      const bot = draft ? useStudio.getState().bot! : undefined;
      const { yaml } = await api.previewTest(botId, { name, ...(bot ? { bot } : {}), turns });
      download(`${botId}.test.yaml`, yaml, "text/yaml");
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const last = entries[entries.length - 1];
  const quick = (last?.answer.quickReplies ?? []) as QuickReply[];
  return (
    <div className="preview" data-testid="preview">
      <div className="preview-bar">
        <label>
          <input type="checkbox" checked={draft} onChange={(e) => setDraft(e.target.checked)} data-testid="preview-draft" /> {t("preview.draft")}
        </label>
        <button type="button" onClick={restart} data-testid="preview-start">
          {entries.length ? t("preview.restart") : t("preview.start")}
        </button>
        <button type="button" onClick={saveTest} disabled={!entries.length} data-testid="preview-save-test">
          {t("preview.saveTest")}
        </button>
      </div>
      <div className="fb-root preview-chat" data-theme="light">
        <div className="fb-scroll" ref={scroll}>
          <ul className="fb-messages">
            {entries.map((entry, index) => (
              <li key={index} className={`preview-turn${selected === index ? " selected" : ""}`}>
                {entry.shown !== null ? (
                  <div className="fb-row fb-row-user">
                    <div className="fb-bubble fb-user">{entry.shown}</div>
                  </div>
                ) : null}
                {entry.answer.replies.map((reply, i) => (
                  <div className="fb-row fb-row-bot" key={i} onClick={() => (setSelected(index), showTurn(entry.answer.turn))}>
                    <Reply message={reply as Message} on={on} />
                  </div>
                ))}
                {entry.answer.turn?.error ? <div className="preview-error">{t("common.error", { error: entry.answer.turn.error })}</div> : null}
                <div className="preview-turn-tools">
                  <button type="button" className="link" onClick={() => (setSelected(index), showTurn(entry.answer.turn))} data-testid="inspect-turn">
                    {t("preview.inspect")}
                  </button>
                  {index < entries.length - 1 ? (
                    <button type="button" className="link" onClick={() => restartFrom(index)} data-testid="restart-here">
                      {t("preview.restartHere")}
                    </button>
                  ) : null}
                </div>
              </li>
            ))}
          </ul>
          <QuickReplies replies={quick} onPostback={on.onPostback} />
        </div>
        <form
          className="fb-composer"
          onSubmit={(e) => {
            e.preventDefault();
            if (!text.trim()) return;
            void send({ text }, text);
            setText("");
          }}
        >
          <input className="fb-input" value={text} onChange={(e) => setText(e.target.value)} placeholder={entries.length ? t("preview.type") : t("preview.typeFirst")} data-testid="preview-input" disabled={busy} />
          <button className="fb-send" type="submit" disabled={busy} aria-label={t("preview.send")}>
            ➤
          </button>
        </form>
      </div>
      {error ? (
        <pre className="preview-error" data-testid="preview-error">
          {error}
        </pre>
      ) : null}
      {selected !== null && entries[selected] ? <Inspector entry={entries[selected]} index={selected} /> : null}
      {session === undefined && !entries.length ? <p className="muted">{t("preview.help")}</p> : null}
    </div>
  );
}

function show(value: unknown): string {
  return value === undefined ? "—" : typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value);
}

function Inspector({ entry, index }: { entry: Entry; index: number }) {
  const turn = entry.answer.turn;
  const t = useT();
  if (!turn) return null;
  return (
    <div className="inspector" data-testid="inspector">
      <h4>
        {t("insp.turn", { n: index + 1 })} <span className="muted">{turn.ms.toFixed(1)} ms</span>
      </h4>
      <div className="muted">{t("insp.sent", { what: entry.shown === null ? t("insp.open") : JSON.stringify(entry.send) })}</div>
      {turn.error ? <div className="preview-error">{t("common.error", { error: turn.error })}</div> : null}
      <h5>{t("insp.nodes")}</h5>
      <ol className="insp-nodes">
        {turn.nodes.map((node, i) => (
          <li key={i} data-testid="inspector-node" className={`phase-${node.phase}`}>
            <strong>
              {t("insp.node", { flow: String(node.flowId), id: String(node.nodeId), type: node.type })}
            </strong>{" "}
            {node.title ? <span>{node.title}</span> : null} <span className="muted">{node.phase}</span>
            {node.ms !== undefined ? <span className="muted"> {node.ms.toFixed(2)} ms</span> : null}
            {node.error ? <div className="preview-error">{node.error}</div> : null}
            {node.params ? <div className="insp-params">{t("insp.params", { params: JSON.stringify(node.params) })}</div> : null}
            {node.data !== undefined ? (
              <details>
                <summary>{t("insp.rendered")}</summary>
                <pre>{JSON.stringify(node.data, null, 2)}</pre>
              </details>
            ) : null}
          </li>
        ))}
      </ol>
      <h5>{t("insp.edges")}</h5>
      <ul className="insp-edges">
        {turn.edges.map((edge, i) => (
          <li key={i} data-testid="inspector-edge" className={edge.chosen ? "chosen" : edge.result ? "held" : "failed"}>
            {edge.chosen ? "✔" : edge.result ? "○" : "✕"} #{String(edge.from)} → #{String(edge.to)} <span className="muted">(next[{edge.index}]) {edge.why}</span>
            {edge.conditions.map((c, k) => (
              <div key={k} className={`insp-cond ${c.result ? "ok" : "no"}`}>
                {c.left} <em>{c.operator}</em> {show(c.right)} — {t("insp.value")} {show(c.leftValue)}
                {c.rightValue !== c.right ? ` vs ${show(c.rightValue)}` : ""} → {c.result ? "true" : "false"}
              </div>
            ))}
          </li>
        ))}
      </ul>
      <details>
        <summary>{t("insp.contextBefore")}</summary>
        <pre data-testid="context-before">{JSON.stringify(turn.contextBefore, null, 2)}</pre>
      </details>
      <details open>
        <summary>{t("insp.contextAfter")}</summary>
        <pre data-testid="context-after">{JSON.stringify(turn.contextAfter, null, 2)}</pre>
      </details>
    </div>
  );
}
