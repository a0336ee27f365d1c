// The CLOSER bot format as the studio edits it (docs/format.md). Unknown keys are
// kept: every object is open, so an edit never drops what CLOSER wrote.
export type Id = number | string;

export interface Json {
  [key: string]: unknown;
}

export interface Button extends Json {
  type: "postback" | "link" | "goto" | string;
  label: string;
  payload?: string | null;
  uri?: string;
  flowId?: Id;
  nodeId?: Id | null;
}

export interface QuickReply extends Json {
  type?: "postback";
  label: string;
  payload?: string | null;
}

export interface Media extends Json {
  uri: string;
  contentType?: string;
}

export interface Card extends Json {
  title?: string | null;
  description?: string | null;
  media?: Media | null;
  uri?: string | null;
  buttons?: Button[] | null;
}

export interface Message extends Json {
  type: "text" | "media" | "cards" | "location" | string;
  text?: string;
  buttons?: Button[] | null;
  media?: Media;
  cards?: Card[];
  label?: string | null;
  latitude?: number | string;
  longitude?: number | string;
  delay?: number | string | null;
  meta?: { custom?: string | null } & Json;
}

export type Where = Record<string, unknown>;

export interface Edge extends Json {
  nodeId: Id;
  where?: Where | null;
  priority?: number | null;
}

export interface Design {
  x: number;
  y: number;
}

export interface BotNode extends Json {
  id: Id;
  type: string;
  label?: string | null;
  data?: Json;
  next?: Edge[];
  meta?: ({ design?: Design } & Json) | null;
}

export interface Flow extends Json {
  id: Id;
  title?: string | null;
  data?: ({ entry?: Id | null } & Json) | null;
  nodes: BotNode[];
}

export interface Preference extends Json {
  entryFlowId?: Id | null;
  fallbackFlowId?: Id | null;
}

export interface Bot extends Json {
  title?: string | null;
  flows: Flow[];
  preference?: Preference;
}

export const NODE_TYPES = [
  "entry",
  "response",
  "keyboard",
  "flow",
  "parameter",
  "fetch",
  "sandbox",
  "back",
  "manual",
] as const;

export const UNSUPPORTED_NODE_TYPES = ["nlp", "chitchat", "email", "gsheet"] as const;

export const sameId = (a: Id | null | undefined, b: Id | null | undefined): boolean =>
  a !== null && a !== undefined && b !== null && b !== undefined && String(a).trim() === String(b).trim();
