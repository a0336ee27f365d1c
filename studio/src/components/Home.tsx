// The login screen (the API key, kept in sessionStorage) and the list of bots.
import { useEffect, useState } from "react";
import { api, auth, type BotSummary } from "../lib/api";
import { useT } from "../lib/i18n";
import { LanguageSwitch } from "./LanguageSwitch";

export function Login({ onDone }: { onDone: () => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const t = useT();
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
      setError((e as { status?: number }).status === 403 ? t("login.wrongKey") : (e as Error).message);
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
        <div className="login-lang">
          <LanguageSwitch />
        </div>
        <h1>{t("app.title")}</h1>
        <label htmlFor="key">{t("login.key")}</label>
        <input id="key" type="password" autoFocus value={key} onChange={(e) => setKey(e.target.value)} data-testid="login-key" autoComplete="current-password" />
        <button type="submit" className="primary" data-testid="login-submit">
          {t("login.submit")}
        </button>
        {error ? (
          <div className="field-error" data-testid="login-error">
            {error}
          </div>
        ) : null}
        <p className="muted">{t("login.hint")}</p>
      </form>
    </div>
  );
}

export function BotList({ navigate, onLogout }: { navigate: (path: string) => void; onLogout: () => void }) {
  const [bots, setBots] = useState<BotSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const t = useT();
  useEffect(() => {
    api
      .bots()
      .then((answer) => setBots(answer.bots))
      .catch((e) => setError((e as Error).message));
  }, []);
  return (
    <div className="bot-list">
      <header className="topbar">
        <strong>{t("app.title")}</strong>
        <span className="spacer" />
        <LanguageSwitch />
        <button type="button" className="link" onClick={onLogout}>
          {t("bots.logout")}
        </button>
      </header>
      <main>
        <h2>{t("bots.title")}</h2>
        {error ? <div className="field-error">{error}</div> : null}
        {bots === null && !error ? <p className="muted">{t("common.loading")}</p> : null}
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
                  {bot.id} · {t("bots.flows", { n: bot.flows })}
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
