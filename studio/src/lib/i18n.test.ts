import { afterEach, describe, expect, it } from "vitest";
import { detectLang, DICTIONARIES, en, ko, LANGS, t, translate, useLang } from "./i18n";
import { describeWhere, nodeWarnings, typeLabel } from "./model";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

afterEach(() => useLang.setState({ lang: "en" }));

describe("the dictionaries", () => {
  it("have every key in both languages: no missing translation, none empty", () => {
    const keys = Object.keys(en).sort();
    for (const lang of LANGS) {
      const dict = DICTIONARIES[lang] as Record<string, string>;
      expect(Object.keys(dict).sort(), lang).toEqual(keys);
      for (const key of keys) expect(dict[key].trim(), `${lang} ${key}`).not.toBe("");
    }
  });

  it("use the same placeholders in both languages", () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) expect(placeholders(ko[key]), key).toEqual(placeholders(en[key]));
  });

  it("name the node types as CLOSER does", () => {
    useLang.setState({ lang: "ko" });
    expect(["response", "keyboard", "flow", "parameter", "fetch", "sandbox", "manual", "entry"].map(typeLabel)).toEqual([
      "메시지 응답",
      "사용자 입력 요청",
      "플로우 연결",
      "파라미터 설정",
      "HTTP 요청",
      "사용자 정의 스크립트",
      "상담원 호출",
      "진입",
    ]);
    expect(typeLabel("something-else")).toBe("something-else");
  });
});

describe("t", () => {
  it("fills parameters, takes the singular for n = 1, follows the language", () => {
    expect(translate("en", "bots.flows", { n: 3 })).toBe("3 flows");
    expect(translate("en", "bots.flows", { n: 1 })).toBe("1 flow");
    expect(translate("ko", "bots.flows", { n: 3 })).toBe("플로우 3개");
    expect(t("editor.save")).toBe("Save");
    useLang.setState({ lang: "ko" });
    expect(t("editor.save")).toBe("저장");
    expect(describeWhere({ "message.payload.pokemon": { exists: true }, $or: [{ message: { equals: "a" } }, { message: { equals: "b" } }] })).toBe(
      "payload.pokemon 존재함 그리고 (message = a 또는 message = b)",
    );
    const node = { id: 2, type: "response", data: { message: { type: "text", text: "" } }, next: [{ nodeId: 9 }] };
    expect(nodeWarnings({ id: 1, nodes: [node] }, node).map((w) => w.text)).toEqual(["없는 노드 9(으)로의 연결", "텍스트가 비어 있음"]);
  });
});

describe("the language", () => {
  it("comes from ?lang=, else the stored choice, else navigator.language", () => {
    expect(detectLang("?lang=ko", "en", "en-US")).toBe("ko");
    expect(detectLang("?lang=en", "ko", "ko-KR")).toBe("en");
    expect(detectLang("?lang=fr", null, "ko-KR")).toBe("ko");
    expect(detectLang("", "en", "ko-KR")).toBe("en");
    expect(detectLang("", null, "ko")).toBe("ko");
    expect(detectLang("", null, "ko-KR")).toBe("ko");
    expect(detectLang("", null, "en-GB")).toBe("en");
    expect(detectLang("", null, "kok")).toBe("en"); // Konkani is not Korean
  });

  it("is remembered when switched", () => {
    useLang.getState().setLang("ko");
    expect(localStorage.getItem("flowbot-studio-lang")).toBe("ko");
    expect(document.documentElement.lang).toBe("ko");
    expect(detectLang("")).toBe("ko");
    useLang.getState().setLang("en");
    expect(detectLang("")).toBe("en");
  });
});
