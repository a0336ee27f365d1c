// Statistics: visits and drop-off on the canvas (badges, edge labels) and a
// dashboard chart of conversations, messages and users per day (hand-made SVG).
import { useEffect, useState } from "react";
import { api, type Stats as StatsData } from "../lib/api";
import { useStudio } from "../lib/store";
import { useT } from "../lib/i18n";

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

export function Stats() {
  const botId = useStudio((s) => s.botId)!;
  const stats = useStudio((s) => s.stats);
  const setStats = useStudio((s) => s.setStats);
  const [from, setFrom] = useState(() => isoDay(new Date(Date.now() - 29 * 86400_000)));
  const [to, setTo] = useState(() => isoDay(new Date()));
  const [error, setError] = useState<string | null>(null);
  const t = useT();
  const load = () =>
    api
      .stats(botId, from, to)
      .then((s) => {
        setStats(s);
        setError(null);
      })
      .catch((e) => setError((e as Error).message));
  useEffect(() => void load(), [botId]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <div className="stats" data-testid="stats">
      <h3>{t("stats.title")}</h3>
      <div className="row">
        <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} aria-label={t("stats.from")} />
        <input type="date" value={to} onChange={(e) => setTo(e.target.value)} aria-label={t("stats.to")} />
        <button type="button" onClick={() => void load()}>
          {t("stats.show")}
        </button>
      </div>
      {error ? <div className="preview-error">{error}</div> : null}
      {stats ? (
        <>
          <p>
            {t("stats.summary", { turns: stats.turns, from: stats.from, to: stats.to })}
          </p>
          <Chart days={stats.days} />
          <TopDropoff stats={stats} />
        </>
      ) : null}
    </div>
  );
}

const SERIES = [
  { key: "conversations", color: "#4f46e5" },
  { key: "messages", color: "#0ea5e9" },
  { key: "users", color: "#16a34a" },
] as const;

export function Chart({ days }: { days: StatsData["days"] }) {
  const width = 360;
  const height = 180;
  const pad = { l: 32, r: 8, t: 10, b: 24 };
  const most = Math.max(1, ...days.flatMap((d) => [d.conversations, d.messages, d.users]));
  const x = (i: number) => pad.l + (days.length <= 1 ? 0 : (i * (width - pad.l - pad.r)) / (days.length - 1));
  const y = (v: number) => height - pad.b - (v * (height - pad.t - pad.b)) / most;
  const t = useT();
  const name = (key: (typeof SERIES)[number]["key"]) => t(`stats.${key}`);
  return (
    <figure className="chart" data-testid="stats-chart">
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label={t("stats.chart")}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={pad.l} x2={width - pad.r} y1={y(most * f)} y2={y(most * f)} stroke="#e5e7eb" />
            <text x={pad.l - 4} y={y(most * f) + 4} fontSize="10" textAnchor="end" fill="#6b7280">
              {Math.round(most * f)}
            </text>
          </g>
        ))}
        {SERIES.map((s) => (
          <polyline key={s.key} fill="none" stroke={s.color} strokeWidth="2" points={days.map((d, i) => `${x(i)},${y(d[s.key])}`).join(" ")} />
        ))}
        {SERIES.map((s) => days.map((d, i) => <circle key={`${s.key}${i}`} cx={x(i)} cy={y(d[s.key])} r="2.5" fill={s.color}><title>{`${d.date}: ${d[s.key]} ${name(s.key)}`}</title></circle>))}
        {days.length ? (
          <>
            <text x={pad.l} y={height - 6} fontSize="10" fill="#6b7280">
              {days[0].date}
            </text>
            <text x={width - pad.r} y={height - 6} fontSize="10" fill="#6b7280" textAnchor="end">
              {days[days.length - 1].date}
            </text>
          </>
        ) : null}
      </svg>
      <figcaption>
        {SERIES.map((s) => (
          <span key={s.key} className="legend">
            <i style={{ background: s.color }} /> {name(s.key)}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

function TopDropoff({ stats }: { stats: StatsData }) {
  const top = [...stats.dropoff].sort((a, b) => b.ended - a.ended).slice(0, 8);
  const t = useT();
  if (!top.length) return null;
  return (
    <>
      <h4>{t("stats.dropoff")}</h4>
      <ul>
        {top.map((d, i) => (
          <li key={i}>
            {t("stats.dropoffRow", { flow: String(d.flowId), node: String(d.nodeId), n: d.ended })}
          </li>
        ))}
      </ul>
    </>
  );
}
