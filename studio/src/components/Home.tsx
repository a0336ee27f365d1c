// The login screen (the API key, kept in sessionStorage) and the list of bots.
import { useEffect, useState } from "react";
import { api, auth, type BotSummary } from "../lib/api";

export function Login({ onDone }: { onDone: () => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    auth.set(key.trim());
    try {
      try {
        await api.session();
      } catch (e) {
        if ((e as { status?: number }).status !== 404) throw e;
        await api.bots(); // a server without the studio's session route
      }
      onDone();
    } catch (e) {
      auth.clear();
      setError((e as { status?: number }).status === 403 ? "That key is not right." : (e as Error).message);
    }
  };
  return (
    <div className="login">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h1>flowbot studio</h1>
        <label htmlFor="key">API key</label>
        <input id="key" type="password" autoFocus value={key} onChange={(e) => setKey(e.target.value)} data-testid="login-key" autoComplete="current-password" />
        <button type="submit" className="primary" data-testid="login-submit">
          Open the studio
        </button>
        {error ? (
          <div className="field-error" data-testid="login-error">
            {error}
          </div>
        ) : null}
        <p className="muted">The key (FLOWBOT_API_KEY or FLOWBOT_STUDIO_KEY) stays in this tab only.</p>
      </form>
    </div>
  );
}

export function BotList({ navigate, onLogout }: { navigate: (path: string) => void; onLogout: () => void }) {
  const [bots, setBots] = useState<BotSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .bots()
      .then((answer) => setBots(answer.bots))
      .catch((e) => setError((e as Error).message));
  }, []);
  return (
    <div className="bot-list">
      <header className="topbar">
        <strong>flowbot studio</strong>
        <span className="spacer" />
        <button type="button" className="link" onClick={onLogout}>
          log out
        </button>
      </header>
      <main>
        <h2>Bots</h2>
        {error ? <div className="field-error">{error}</div> : null}
        {bots === null && !error ? <p className="muted">Loading…</p> : null}
        <ul className="bots">
          {(bots ?? []).map((bot) => (
            <li key={bot.id}>
              <a
                href={`/studio/${encodeURIComponent(bot.id)}`}
                data-testid="bot-link"
                onClick={(e) => {
                  e.preventDefault();
                  navigate(`/studio/${encodeURIComponent(bot.id)}`);
                }}
              >
                <strong>{bot.title ?? bot.id}</strong>
                <span className="muted">
                  {bot.id} · {bot.flows} flow{bot.flows === 1 ? "" : "s"}
                  {bot.source ? ` · ${bot.source}` : ""}
                </span>
              </a>
            </li>
          ))}
        </ul>
      </main>
    </div>
  );
}
