// Versions: the list, a side-by-side line diff of any two (or of one and the
// draft), rollback, download.
import { useEffect, useMemo, useState } from "react";
import { api, download, type Version } from "../lib/api";
import { diffLines, folded, sideBySide } from "../lib/diff";
import { useStudio } from "../lib/store";
import { useLang, useT } from "../lib/i18n";
import type { Bot } from "../lib/types";

const DRAFT = -1;

export function Versions({ onReload }: { onReload: () => void }) {
  const botId = useStudio((s) => s.botId)!;
  const [versions, setVersions] = useState<Version[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [left, setLeft] = useState<number | null>(null);
  const [right, setRight] = useState<number>(DRAFT);
  const [texts, setTexts] = useState<{ left: string; right: string } | null>(null);
  const t = useT();
  const lang = useLang((s) => s.lang);

  const refresh = () =>
    api
      .versions(botId)
      .then((v) => {
        setVersions(v.versions);
        if (left === null && v.versions.length) setLeft(v.versions[0].number);
      })
      .catch((e) => setError((e as Error).message));
  useEffect(() => void refresh(), [botId]); // eslint-disable-line react-hooks/exhaustive-deps

  const textOf = async (n: number): Promise<string> => JSON.stringify(n === DRAFT ? useStudio.getState().bot : await api.version(botId, n), null, 2);

  const compare = async () => {
    if (left === null) return;
    try {
      setTexts({ left: await textOf(left), right: await textOf(right) });
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const rollback = async (n: number) => {
    if (!window.confirm(t("versions.rollbackConfirm", { n }))) return;
    try {
      await api.rollback(botId, n, useStudio.getState().etag);
      await refresh();
      onReload();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const fetchDownload = async (n: number) => {
    const bot = await api.version(botId, n);
    download(`${botId}-v${n}.json`, JSON.stringify(bot, null, 2));
  };

  const rows = useMemo(() => (texts ? folded(sideBySide(diffLines(texts.left.split("\n"), texts.right.split("\n")))) : []), [texts]);
  const label = (n: number) => (n === DRAFT ? t("versions.draft") : `v${n}`);
  return (
    <div className="versions" data-testid="versions">
      <h3>{t("versions.title")}</h3>
      {error ? <div className="preview-error">{error}</div> : null}
      <table className="version-list">
        <thead>
          <tr>
            <th>#</th>
            <th>{t("versions.by")}</th>
            <th>{t("versions.at")}</th>
            <th>{t("versions.size")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.number} data-testid="version-row">
              <td>v{v.number}</td>
              <td>{v.author}</td>
              <td>{new Date(v.at).toLocaleString(lang)}</td>
              <td>
                {v.flows} / {v.nodes}
              </td>
              <td>
                <button type="button" className="link" onClick={() => void fetchDownload(v.number)}>
                  {t("versions.download")}
                </button>{" "}
                <button type="button" className="link" onClick={() => void rollback(v.number)}>
                  {t("versions.rollback")}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row">
        <select value={left ?? ""} onChange={(e) => setLeft(Number(e.target.value))} data-testid="diff-left">
          {versions.map((v) => (
            <option key={v.number} value={v.number}>
              v{v.number}
            </option>
          ))}
        </select>
        <span>{t("common.vs")}</span>
        <select value={right} onChange={(e) => setRight(Number(e.target.value))} data-testid="diff-right">
          <option value={DRAFT}>{t("versions.draft")}</option>
          {versions.map((v) => (
            <option key={v.number} value={v.number}>
              v{v.number}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => void compare()} data-testid="diff-compare">
          {t("versions.compare")}
        </button>
      </div>
      {texts ? (
        <div className="diff" data-testid="diff">
          <div className="diff-head">
            <span>{left !== null ? label(left) : ""}</span>
            <span>{label(right)}</span>
          </div>
          {rows.length === 0 || rows.every((r) => r === null) ? <p className="muted">{t("versions.same")}</p> : null}
          {rows.map((row, i) =>
            row === null ? (
              <div key={i} className="diff-gap">⋯</div>
            ) : (
              <div key={i} className="diff-row">
                <code className={`diff-cell ${row.left?.kind ?? "none"}`}>
                  <span className="ln">{row.left?.left ?? ""}</span>
                  {row.left?.text ?? ""}
                </code>
                <code className={`diff-cell ${row.right?.kind ?? "none"}`}>
                  <span className="ln">{row.right?.right ?? ""}</span>
                  {row.right?.text ?? ""}
                </code>
              </div>
            ),
          )}
        </div>
      ) : null}
    </div>
  );
}

export function exportBot(botId: string, bot: Bot) {
  download(`${botId}.json`, `${JSON.stringify(bot, null, 2)}\n`);
}
