// A text field whose value is a template: checked as you type
// (POST /api/templates/check), its error shown with line:column.
import { useEffect, useState } from "react";
import { useFormContext, useWatch } from "react-hook-form";
import { api } from "../lib/api";
import { t } from "../lib/i18n";

const cache = new Map<string, TemplateCheck>();
let serverChecks = true;

export interface TemplateCheck {
  ok: boolean;
  message?: string;
  line?: number;
  column?: number;
}

/** The studio's own check where the server has none: unbalanced braces. */
export function localCheck(template: string): TemplateCheck {
  const lines = template.split("\n");
  let depth = 0;
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l];
    for (let c = 0; c < line.length; c++) {
      if (line.startsWith("{{", c)) {
        if (depth) return { ok: false, message: t("template.nested"), line: l + 1, column: c + 1 };
        depth = 1;
        c++;
      } else if (line.startsWith("}}", c) && depth) {
        depth = 0;
        c++;
      }
    }
  }
  if (depth) return { ok: false, message: t("template.unclosed"), line: lines.length, column: lines[lines.length - 1].length + 1 };
  return { ok: true };
}

export async function checkTemplate(template: string): Promise<TemplateCheck> {
  if (!template.includes("{{") && !template.includes("}}")) return { ok: true };
  const known = cache.get(template);
  if (known) return known;
  let result: TemplateCheck;
  if (serverChecks) {
    try {
      result = await api.checkTemplate(template);
    } catch (error) {
      if ((error as { status?: number }).status === 404) serverChecks = false;
      result = localCheck(template);
    }
  } else result = localCheck(template);
  cache.set(template, result);
  return result;
}

export function useTemplateCheck(value: unknown): TemplateCheck | null {
  const [check, setCheck] = useState<TemplateCheck | null>(null);
  useEffect(() => {
    if (typeof value !== "string") {
      setCheck(null);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      checkTemplate(value).then((result) => live && setCheck(result));
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [value]);
  return check;
}

export function TemplateField({ name, label, multiline, placeholder, testId }: { name: string; label: string; multiline?: boolean; placeholder?: string; testId?: string }) {
  const { register, control } = useFormContext();
  const value = useWatch({ control, name });
  const check = useTemplateCheck(value);
  const id = `f-${name}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {multiline ? (
        <textarea id={id} rows={3} placeholder={placeholder} data-testid={testId ?? `field-${name}`} {...register(name)} />
      ) : (
        <input id={id} placeholder={placeholder} data-testid={testId ?? `field-${name}`} {...register(name)} />
      )}
      {check && !check.ok ? (
        <div className="field-error" data-testid="template-error">
          {check.line !== undefined ? `${check.line}:${check.column ?? 0} ` : ""}
          {check.message}
        </div>
      ) : null}
    </div>
  );
}
