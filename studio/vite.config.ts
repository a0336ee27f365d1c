/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import widgetCss from "./widget-css.ts";

// The studio is served by flowbot at /studio/ from src/flowbot/server/static/studio/
// (built, git-ignored). `npm run dev` proxies the API to a flowbot on port 8877.
const out = fileURLToPath(new URL("../src/flowbot/server/static/studio", import.meta.url));

export default defineConfig({
  base: "/studio/",
  plugins: [react(), widgetCss()],
  build: { outDir: out, emptyOutDir: true, chunkSizeWarningLimit: 1200 },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8877",
      "/media": "http://127.0.0.1:8877",
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test-setup.ts"],
  },
});
