// The language switch of the top bar: 한국어 / English, remembered in localStorage.
import { useLang, useT, type Lang } from "../lib/i18n";

const NAMES: Record<Lang, string> = { ko: "한국어", en: "English" };

export function LanguageSwitch() {
  const lang = useLang((s) => s.lang);
  const setLang = useLang((s) => s.setLang);
  const t = useT();
  return (
    <select className="lang-switch" value={lang} onChange={(e) => setLang(e.target.value as Lang)} aria-label={t("lang.switch")} title={t("lang.switch")} data-testid="lang-switch">
      {(Object.keys(NAMES) as Lang[]).map((l) => (
        <option key={l} value={l}>
          {NAMES[l]}
        </option>
      ))}
    </select>
  );
}
