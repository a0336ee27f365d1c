// The condition builder of an edge: rows of (path, operator, value) in AND / OR
// groups that nest, every operator of the format.
import { useState } from "react";
import { OPERATORS, operandFromText, operandText, parseWhere, serializeWhere, type Group, type Rule } from "../lib/conditions";
import type { Where } from "../lib/types";
import { useTemplateCheck } from "./TemplateField";
import { hasKey, useT } from "../lib/i18n";

const PATHS = ["message", "message.payload", "message.type", "params.", "keyboard.text", "fetch.statusCode", "fetch.status", "fetch.data.", "sandbox.result", "sandbox.error", "platform"];

export function ConditionBuilder({ where, onChange }: { where: Where | null | undefined; onChange: (where: Where | undefined) => void }) {
  const [group, setGroup] = useState<Group>(() => parseWhere(where));
  const t = useT();
  const update = (next: Group) => {
    setGroup(next);
    onChange(serializeWhere(next));
  };
  return (
    <div className="conditions" data-testid="condition-builder">
      <datalist id="condition-paths">
        {PATHS.map((p) => (
          <option key={p} value={p} />
        ))}
      </datalist>
      <GroupView group={group} onChange={update} depth={0} />
      {!group.items.length ? <p className="muted">{t("cond.none")}</p> : null}
    </div>
  );
}

function GroupView({ group, onChange, onRemove, depth }: { group: Group; onChange: (g: Group) => void; onRemove?: () => void; depth: number }) {
  const set = (index: number, item: Rule | Group) => onChange({ ...group, items: group.items.map((x, i) => (i === index ? item : x)) });
  const remove = (index: number) => onChange({ ...group, items: group.items.filter((_, i) => i !== index) });
  const t = useT();
  return (
    <div className={`cond-group cond-depth-${depth}`} data-testid="condition-group">
      <div className="cond-group-head">
        <select value={group.op} onChange={(e) => onChange({ ...group, op: e.target.value as "and" | "or" })} data-testid="group-op" aria-label={t("cond.allOrAny")}>
          <option value="and">{t("cond.all")}</option>
          <option value="or">{t("cond.any")}</option>
        </select>
        {onRemove ? (
          <button type="button" className="link" onClick={onRemove}>
            {t("cond.removeGroup")}
          </button>
        ) : null}
      </div>
      {group.items.map((item, index) =>
        item.kind === "rule" ? (
          <RuleView key={index} rule={item} onChange={(r) => set(index, r)} onRemove={() => remove(index)} />
        ) : (
          <GroupView key={index} group={item} depth={depth + 1} onChange={(g) => set(index, g)} onRemove={() => remove(index)} />
        ),
      )}
      <div className="cond-actions">
        <button type="button" data-testid="add-condition" onClick={() => onChange({ ...group, items: [...group.items, { kind: "rule", path: "message", operator: "equals", value: "" }] })}>
          {t("cond.addCondition")}
        </button>
        {depth < 3 ? (
          <button type="button" data-testid="add-group" onClick={() => onChange({ ...group, items: [...group.items, { kind: "group", op: group.op === "and" ? "or" : "and", items: [] }] })}>
            {t("cond.addGroup")}
          </button>
        ) : null}
      </div>
    </div>
  );
}

function RuleView({ rule, onChange, onRemove }: { rule: Rule; onChange: (r: Rule) => void; onRemove: () => void }) {
  const text = operandText(rule.value);
  const check = useTemplateCheck(typeof rule.value === "string" ? rule.value : null);
  const t = useT();
  const opLabel = (op: string) => {
    const key = `op.${op}`;
    return hasKey(key) ? t(key) : op;
  };
  return (
    <div className="cond-rule" data-testid="condition-rule">
      <input className="cond-path" list="condition-paths" value={rule.path} onChange={(e) => onChange({ ...rule, path: e.target.value })} aria-label={t("cond.path")} data-testid="rule-path" />
      <select
        value={rule.operator}
        aria-label={t("cond.operator")}
        data-testid="rule-operator"
        onChange={(e) => {
          const operator = e.target.value;
          onChange({ ...rule, operator, value: operator === "exists" ? true : operandFromText(operator, operandText(rule.value === true ? "" : rule.value)) });
        }}
      >
        {OPERATORS.map((op) => (
          <option key={op} value={op}>
            {opLabel(op)}
          </option>
        ))}
        {!OPERATORS.includes(rule.operator as never) ? <option value={rule.operator}>{rule.operator}</option> : null}
      </select>
      {rule.operator === "exists" ? (
        <select value={String(rule.value !== false)} onChange={(e) => onChange({ ...rule, value: e.target.value === "true" })} aria-label={t("cond.exists")} data-testid="rule-exists">
          <option value="true">{t("common.true")}</option>
          <option value="false">{t("common.false")}</option>
        </select>
      ) : (
        <input className="cond-value" value={text} onChange={(e) => onChange({ ...rule, value: operandFromText(rule.operator, e.target.value, rule.value) })} aria-label={t("cond.value")} data-testid="rule-value" />
      )}
      <button type="button" className="link" onClick={onRemove} aria-label={t("cond.remove")}>
        ✕
      </button>
      {check && !check.ok ? (
        <div className="field-error">
          {check.line}:{check.column} {check.message}
        </div>
      ) : null}
    </div>
  );
}
