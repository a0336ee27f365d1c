import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { ReactFlowProvider } from "@xyflow/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { BotNode, Flow } from "../lib/types";
import { Reply, QuickReplies } from "../preview/Replies";
import { ConditionBuilder } from "./ConditionBuilder";
import NodeView, { type NodeData } from "./NodeView";
import { nodeWarnings } from "../lib/model";
import { useLang } from "../lib/i18n";
import { LanguageSwitch } from "./LanguageSwitch";

afterEach(() => {
  cleanup();
  useLang.setState({ lang: "en" });
});
const AnyNode = NodeView as unknown as (props: Record<string, unknown>) => React.ReactElement;

function renderNode(node: BotNode, flow?: Flow) {
  const data: NodeData = { node, warnings: flow ? nodeWarnings(flow, node) : [], highlighted: false };
  const props = { id: String(node.id), data, type: "studio", selected: false, dragging: false, zIndex: 0, isConnectable: true, positionAbsoluteX: 0, positionAbsoluteY: 0, draggable: true, selectable: true, deletable: true } as never;
  return render(
    <ReactFlowProvider>
      <AnyNode {...(props as Record<string, unknown>)} />
    </ReactFlowProvider>,
  );
}

const cards: BotNode = {
  id: 3,
  type: "response",
  label: "The three starters",
  data: {
    message: {
      type: "cards",
      cards: ["Bulbasaur", "Charmander", "Squirtle"].map((name) => ({
        title: name,
        media: { uri: `/media/pokemon/${name.toLowerCase()}.svg`, contentType: "image" },
        buttons: [{ type: "postback", label: "I choose you!", payload: `{"pokemon": "${name}"}` }],
      })),
    },
  },
};

describe("a node on the canvas", () => {
  it("shows card thumbnails, titles and each button with its own handle", () => {
    const { container } = renderNode(cards);
    expect(screen.getByText("The three starters")).toBeTruthy();
    expect(screen.getByText("Charmander")).toBeTruthy();
    expect(container.querySelectorAll("img.sn-thumb")).toHaveLength(3);
    expect(screen.getAllByText("I choose you!")).toHaveLength(3);
    const handles = [...container.querySelectorAll(".react-flow__handle")].map((h) => h.getAttribute("data-handleid"));
    expect(handles).toEqual(expect.arrayContaining(["card-0-btn-0", "card-1-btn-0", "card-2-btn-0", "out"]));
    expect(screen.getByText('{"pokemon": "Squirtle"}')).toBeTruthy();
  });

  it("shows a text, its buttons and quick replies", () => {
    renderNode({ id: 2, type: "response", data: { message: { type: "text", text: "Hello there", buttons: [{ type: "link", label: "Site", uri: "https://x.test" }] } } });
    expect(screen.getByText("Hello there")).toBeTruthy();
    expect(screen.getByText("Site")).toBeTruthy();
    const { container } = renderNode({ id: 4, type: "keyboard", data: { type: "buttons", buttons: [{ label: "Yes" }, { label: "No", payload: "N" }] } });
    expect(screen.getByText("No")).toBeTruthy();
    const handles = [...container.querySelectorAll(".react-flow__handle")].map((h) => h.getAttribute("data-handleid"));
    expect(handles).toEqual(expect.arrayContaining(["qr-0", "qr-1"]));
  });

  it("shows warnings", () => {
    const node: BotNode = { id: 2, type: "response", data: { message: { type: "text", text: "" } }, next: [{ nodeId: 99 }] };
    renderNode(node, { id: 1, nodes: [node] });
    expect(screen.getByTestId("node-warnings").textContent).toContain("edge to missing node 99");
  });
});

describe("the preview's replies", () => {
  it("renders a carousel with the widget's classes and sends a card click", () => {
    const onPostback = vi.fn();
    const { container } = render(<Reply message={cards.data!.message as never} on={{ onPostback }} />);
    expect(container.querySelector(".fb-carousel-box .fb-carousel")).toBeTruthy();
    expect(container.querySelectorAll(".fb-card")).toHaveLength(3);
    fireEvent.click(screen.getAllByText("I choose you!")[1]);
    expect(onPostback).toHaveBeenCalledWith("I choose you!", '{"pokemon": "Charmander"}');
  });

  it("renders quick replies", () => {
    const onPostback = vi.fn();
    render(<QuickReplies replies={[{ label: "Menu" }]} onPostback={onPostback} />);
    fireEvent.click(screen.getByText("Menu"));
    expect(onPostback).toHaveBeenCalledWith("Menu", undefined);
  });
});

describe("the condition builder", () => {
  it("edits rules and groups into a where", () => {
    const onChange = vi.fn();
    render(<ConditionBuilder where={{ "message.payload.pokemon": { exists: true } }} onChange={onChange} />);
    expect((screen.getByTestId("rule-path") as HTMLInputElement).value).toBe("message.payload.pokemon");
    fireEvent.change(screen.getByTestId("rule-operator"), { target: { value: "equals" } });
    fireEvent.change(screen.getByTestId("rule-value"), { target: { value: "Bulbasaur" } });
    expect(onChange).toHaveBeenLastCalledWith({ "message.payload.pokemon": { equals: "Bulbasaur" } });
    act(() => fireEvent.click(screen.getAllByTestId("add-group")[0]));
    // the nested group's "+ condition" comes first in the page (the top group's after it)
    fireEvent.click(screen.getAllByTestId("add-condition")[0]);
    fireEvent.click(screen.getAllByTestId("add-condition")[0]);
    const values = screen.getAllByTestId("rule-value");
    fireEvent.change(values[1], { target: { value: "a" } });
    fireEvent.change(values[2], { target: { value: "b" } });
    expect(onChange).toHaveBeenLastCalledWith({
      "message.payload.pokemon": { equals: "Bulbasaur" },
      $or: [{ message: { equals: "a" } }, { message: { equals: "b" } }],
    });
    for (const op of ["notEquals", "contains", "gt", "gte", "lt", "lte", "regex", "exists"]) {
      expect([...(screen.getAllByTestId("rule-operator")[0] as HTMLSelectElement).options].map((o) => o.value)).toContain(op);
    }
  });
});

describe("in Korean (lang=ko)", () => {
  it("renders a node and the condition builder with CLOSER's terms", () => {
    useLang.setState({ lang: "ko" });
    const { container } = renderNode({ id: 4, type: "keyboard", label: "포켓몬 선택", data: { type: "buttons", buttons: [{ label: "이상해씨" }] } });
    expect(container.querySelector(".sn-type")?.textContent).toBe("사용자 입력 요청");
    expect(screen.getByText("입력 대기: 빠른 답장 방식 (buttons)")).toBeTruthy();
    renderNode({ id: 5, type: "response", data: { message: { type: "text", text: "" } } });
    expect(screen.getByText("메시지 응답")).toBeTruthy();
    expect(screen.getByText("(빈 텍스트)")).toBeTruthy();
    render(<ConditionBuilder where={{ "message.payload.pokemon": { equals: "Bulbasaur" } }} onChange={() => {}} />);
    const operator = screen.getByTestId("rule-operator") as HTMLSelectElement;
    expect(operator.value).toBe("equals");
    expect(operator.selectedOptions[0].textContent).toBe("다음과 일치");
    expect(screen.getByText("+ 조건")).toBeTruthy();
  });

  it("switches the language from the switch and re-renders", () => {
    const { container } = renderNode({ id: 6, type: "flow", data: { flowId: 2 } });
    render(<LanguageSwitch />);
    expect(container.querySelector(".sn-type")?.textContent).toBe("Go to flow");
    act(() => fireEvent.change(screen.getByTestId("lang-switch"), { target: { value: "ko" } }));
    expect(container.querySelector(".sn-type")?.textContent).toBe("플로우 연결");
    expect(container.querySelector(".sn-summary")?.textContent).toBe("→ 플로우 2");
    expect(localStorage.getItem("flowbot-studio-lang")).toBe("ko");
  });
});
