// The studio's calls to flowbot (docs/studio.md). The key lives in sessionStorage.
import type { Bot, Id } from "./types";

const KEY = "flowbot-studio-key";

export const auth = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (key: string) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  status: number;
  problems: string[];
  code?: string;
  etag?: string | null;
  constructor(status: number, message: string, problems: string[] = [], code?: string, etag?: string | null) {
    super(message);
    this.status = status;
    this.problems = problems;
    this.code = code;
    this.etag = etag;
  }
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const key = auth.get();
  const response = await fetch(path, {
    method,
    headers: {
      ...(key ? { Authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    let problems: string[] = [];
    let code: string | undefined;
    try {
      const data = await response.json();
      if (data && typeof data.error === "string") message = data.error;
      if (Array.isArray(data?.problems)) problems = data.problems.map(String);
      code = data?.code;
    } catch {
      /* not JSON */
    }
    throw new ApiError(response.status, message, problems, code, response.headers.get("ETag"));
  }
  return response;
}

async function json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
  return (await call(method, path, body, headers)).json() as Promise<T>;
}

const b = (botId: string) => `/api/bots/${encodeURIComponent(botId)}`;

export interface BotSummary {
  id: string;
  title?: string | null;
  flows: number;
  source?: string;
}

export interface SaveAnswer {
  id: string;
  title?: string;
  flows: number;
  version?: number;
  revision?: string;
}

export interface Version {
  number: number;
  author: string;
  at: string;
  revision: string;
  flows: number;
  nodes: number;
}

export interface Problem {
  severity: "error" | "warning" | "note";
  flowId: Id | null;
  nodeId: Id | null;
  path: string;
  message: string;
  channel: string | null;
}

export interface TurnNode {
  flowId: Id;
  nodeId: Id;
  type: string;
  title?: string;
  phase: "input" | "run" | "unseen" | string;
  data?: unknown;
  params?: Record<string, unknown>;
  ms?: number;
  error?: string | null;
}

export interface TurnCondition {
  left: string;
  operator: string;
  right: unknown;
  leftValue: unknown;
  rightValue: unknown;
  result: boolean;
}

export interface TurnEdge {
  flowId: Id;
  from: Id;
  to: Id;
  index: number;
  chosen: boolean;
  result: boolean;
  conditions: TurnCondition[];
  why: string;
}

export interface Turn {
  ms: number;
  error: string | null;
  nodes: TurnNode[];
  edges: TurnEdge[];
  contextBefore: unknown;
  contextAfter: unknown;
}

export interface PreviewAnswer {
  replies: Record<string, unknown>[];
  quickReplies: Record<string, unknown>[];
  session: unknown;
  turn: Turn;
}

export interface PreviewMessage {
  text?: string;
  payload?: string;
  goto?: { flowId: Id; nodeId?: Id | null };
}

export interface Stats {
  from: string;
  to: string;
  turns: number;
  nodes: { flowId: Id; nodeId: Id; visits: number }[];
  edges: { flowId: Id; from: Id; to: Id; count: number }[];
  dropoff: { flowId: Id; nodeId: Id; ended: number }[];
  days: { date: string; conversations: number; messages: number; users: number }[];
}

export const api = {
  session: () => json<{ ok: boolean; user: string }>("GET", "/api/studio/session"),
  bots: () => json<{ bots: BotSummary[] }>("GET", "/api/bots"),
  async bot(botId: string): Promise<{ bot: Bot; etag: string | null }> {
    const response = await call("GET", b(botId));
    return { bot: (await response.json()) as Bot, etag: response.headers.get("ETag") };
  },
  async save(botId: string, bot: Bot, etag: string | null): Promise<{ answer: SaveAnswer; etag: string | null }> {
    const response = await call("PUT", b(botId), bot, {
      ...(etag ? { "If-Match": etag } : {}),
      "X-Flowbot-Author": "studio",
    });
    return { answer: (await response.json()) as SaveAnswer, etag: response.headers.get("ETag") };
  },
  versions: (botId: string) => json<{ versions: Version[]; current: string }>("GET", `${b(botId)}/versions`),
  version: (botId: string, n: number) => json<Bot>("GET", `${b(botId)}/versions/${n}`),
  versionUrl: (botId: string, n: number) => `${b(botId)}/versions/${n}?download=1`,
  async rollback(botId: string, n: number, etag: string | null): Promise<{ answer: SaveAnswer; etag: string | null }> {
    const response = await call("POST", `${b(botId)}/versions/${n}/rollback`, undefined, {
      ...(etag ? { "If-Match": etag } : {}),
      "X-Flowbot-Author": "studio",
    });
    return { answer: (await response.json()) as SaveAnswer, etag: response.headers.get("ETag") };
  },
  validate: (botId: string, bot: Bot, channels?: string) =>
    json<{ problems: Problem[] }>("POST", `${b(botId)}/validate${channels ? `?channels=${encodeURIComponent(channels)}` : ""}`, bot),
  checkTemplate: (template: string) =>
    json<{ ok: boolean; message?: string; line?: number; column?: number }>("POST", "/api/templates/check", { template }),
  preview: (botId: string, body: { bot?: Bot; session?: unknown; message: PreviewMessage & { params?: Record<string, unknown> } }) =>
    json<PreviewAnswer>("POST", `${b(botId)}/preview`, body),
  previewTest: (botId: string, body: { name: string; bot?: Bot; turns: { send: PreviewMessage }[] }) =>
    json<{ yaml: string }>("POST", `${b(botId)}/preview/test`, body),
  stats: (botId: string, from?: string, to?: string) =>
    json<Stats>("GET", `${b(botId)}/stats?${new URLSearchParams({ ...(from ? { from } : {}), ...(to ? { to } : {}) })}`),
};

export function download(name: string, text: string, type = "application/json"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
