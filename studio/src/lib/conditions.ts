// A `where` as the condition builder edits it: a tree of AND/OR groups of
// (path, operator, value) rows, and back. Serialising keeps the flat CLOSER
// shape whenever it can ({"a": {...}, "b": {...}} is AND), and uses the
// `$and` / `$or` extension only where needed.
import type { Where } from "./types";

export const OPERATORS = ["equals", "notEquals", "contains", "exists", "gt", "gte", "lt", "lte", "regex"] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Rule {
  kind: "rule";
  path: string;
  operator: Operator | string;
  value: unknown;
}

export interface Group {
  kind: "group";
  op: "and" | "or";
  items: Array<Rule | Group>;
}

export function parseWhere(where: Where | null | undefined): Group {
  const group: Group = { kind: "group", op: "and", items: [] };
  if (!where) return group;
  for (const [key, value] of Object.entries(where)) {
    if ((key === "$or" || key === "$and") && Array.isArray(value)) {
      const sub: Group = { kind: "group", op: key === "$or" ? "or" : "and", items: [] };
      for (const item of value) {
        const inner = parseWhere(item as Where);
        // one map in the list: its rules (an AND of them) are one item
        sub.items.push(inner.items.length === 1 ? inner.items[0] : inner);
      }
      group.items.push(sub);
      continue;
    }
    if (value && typeof value === "object" && !Array.isArray(value)) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (!entries.length) group.items.push({ kind: "rule", path: key, operator: "exists", value: true });
      for (const [operator, operand] of entries) group.items.push({ kind: "rule", path: key, operator, value: operand });
    } else {
      // not an operator object: keep it as an equality, which the validator would ask for
      group.items.push({ kind: "rule", path: key, operator: "equals", value });
    }
  }
  // a lone OR group at the top is the whole condition
  if (group.items.length === 1 && group.items[0].kind === "group") return group.items[0];
  return group;
}

function ruleMap(rule: Rule): Where {
  return { [rule.path]: { [rule.operator]: rule.value } };
}

function itemWhere(item: Rule | Group): Where {
  return item.kind === "rule" ? ruleMap(item) : serializeWhere(item) ?? {};
}

/** The `where` of a group; undefined when it has no rules (the edge always holds). */
export function serializeWhere(group: Group): Where | undefined {
  const items = group.items.filter((item) => item.kind === "rule" || hasRules(item));
  if (!items.length) return undefined;
  if (group.op === "or") {
    if (items.length === 1) return itemWhere(items[0]);
    return { $or: items.map(itemWhere) };
  }
  // AND: rules with distinct paths, and at most one OR group, merge into one map
  const out: Where = {};
  const rest: Where[] = [];
  for (const item of items) {
    if (item.kind === "rule") {
      if (item.path in out) rest.push(ruleMap(item));
      else out[item.path] = { [item.operator]: item.value };
    } else if (item.op === "or" && !("$or" in out)) {
      Object.assign(out, serializeWhere(item));
    } else {
      rest.push(serializeWhere(item) ?? {});
    }
  }
  if (rest.length) {
    if (!Object.keys(out).length && rest.length === 1) return rest[0];
    return Object.keys(out).length ? { $and: [out, ...rest] } : { $and: rest };
  }
  return out;
}

function hasRules(group: Group): boolean {
  return group.items.some((item) => item.kind === "rule" || hasRules(item));
}

/** The operand as typed in the builder's text box, into the JSON value the format wants. */
export function operandFromText(operator: string, text: string, previous?: unknown): unknown {
  if (operator === "exists") return text !== "false";
  if (["gt", "gte", "lt", "lte"].includes(operator)) {
    const n = Number(text);
    return text.trim() !== "" && Number.isFinite(n) && !text.includes("{{") ? n : text;
  }
  if ((operator === "equals" || operator === "notEquals") && typeof previous !== "string" && previous !== undefined) {
    // the operand was a number, a boolean or null: keep its kind while the text still reads so
    try {
      const parsed = JSON.parse(text);
      if (typeof parsed === typeof previous || (previous === null && parsed === null)) return parsed;
    } catch {
      /* a text now */
    }
  }
  return text;
}

export function operandText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  return JSON.stringify(value);
}

export const countRules = (group: Group): number =>
  group.items.reduce((n, item) => n + (item.kind === "rule" ? 1 : countRules(item)), 0);
