// A Vite plugin: `import css from "virtual:widget-css"` gives the web widget's own
// stylesheet, read from src/flowbot/server/static/widget.js at build time, so the
// studio's preview renders replies with exactly the widget's classes and looks.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Plugin } from "vite";

export const WIDGET_JS = fileURLToPath(new URL("../src/flowbot/server/static/widget.js", import.meta.url));

export function widgetCss(): string {
  const source = readFileSync(WIDGET_JS, "utf8");
  const start = source.indexOf("const CSS = `");
  const end = source.indexOf("`;", start);
  if (start < 0 || end < 0) throw new Error(`no CSS template in ${WIDGET_JS}`);
  let css = source.slice(start + "const CSS = `".length, end);
  // the dark theme is interpolated from a constant: the studio's preview stays light
  css = css.replace(/@media \(prefers-color-scheme: dark\) \{[^{}]*\{\$\{DARK_THEME\}\}\s*\}/g, "");
  css = css.replace(/:where\(\.fb-root\[data-theme="dark"\]\) \{\$\{DARK_THEME\}\}/g, "");
  if (css.includes("${")) throw new Error("widget.js CSS has an interpolation the studio does not know");
  return css;
}

export default function widgetCssPlugin(): Plugin {
  const id = "virtual:widget-css";
  return {
    name: "flowbot-widget-css",
    resolveId: (source) => (source === id ? `\0${id}` : undefined),
    load(resolved) {
      if (resolved !== `\0${id}`) return undefined;
      this.addWatchFile(WIDGET_JS);
      return `export default ${JSON.stringify(widgetCss())};`;
    },
  };
}
