// "Tidy": a simple layered layout. Layers by longest path from the entry
// (edges back to an earlier layer are ignored), nodes of a layer ordered by
// the mean position of their parents (one barycentre sweep), left to right.
import type { Flow } from "./types";

export interface Box {
  width: number;
  height: number;
}

export function tidy(
  flow: Flow,
  size: (id: string) => Box = () => ({ width: 240, height: 120 }),
  gap = { x: 80, y: 40 },
  /** the width of the widest label of a node's outgoing edges: the gap after its layer makes room for it */
  labels: (id: string) => number = () => 0,
): Map<string, { x: number; y: number }> {
  const ids = flow.nodes.map((node) => String(node.id));
  const children = new Map<string, string[]>(ids.map((id) => [id, []]));
  const parents = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const node of flow.nodes)
    for (const edge of node.next ?? []) {
      const to = String(edge.nodeId);
      if (!children.has(to) || to === String(node.id)) continue;
      children.get(String(node.id))!.push(to);
      parents.get(to)!.push(String(node.id));
    }
  // depth-first from the roots (entry first) to find back edges
  const entry = flow.nodes.find((node) => node.type === "entry");
  const roots = [
    ...(entry ? [String(entry.id)] : []),
    ...ids.filter((id) => parents.get(id)!.length === 0 && id !== String(entry?.id)),
  ];
  const state = new Map<string, number>(); // 1 on the stack, 2 done
  const back = new Set<string>();
  const order: string[] = [];
  const visit = (start: string) => {
    const stack: Array<[string, number]> = [[start, 0]];
    state.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [id, index] = top;
      const kids = children.get(id)!;
      if (index < kids.length) {
        top[1]++;
        const kid = kids[index];
        const s = state.get(kid);
        if (s === 1) back.add(`${id}>${kid}`);
        else if (s === undefined) {
          state.set(kid, 1);
          stack.push([kid, 0]);
        }
      } else {
        state.set(id, 2);
        order.push(id);
        stack.pop();
      }
    }
  };
  for (const root of roots) if (!state.has(root)) visit(root);
  for (const id of ids) if (!state.has(id)) visit(id);
  // longest-path layers in topological order (reverse post-order)
  const layer = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const id of order.reverse())
    for (const kid of children.get(id)!)
      if (!back.has(`${id}>${kid}`)) layer.set(kid, Math.max(layer.get(kid)!, layer.get(id)! + 1));
  const layers: string[][] = [];
  for (const id of ids) (layers[layer.get(id)!] ??= []).push(id);
  // order inside each layer by the parents' mean index
  const index = new Map<string, number>();
  layers.forEach((ids0, l) => {
    if (l > 0) {
      const key = (id: string) => {
        const ps = parents.get(id)!.filter((p) => index.has(p) && layer.get(p)! < l);
        return ps.length ? ps.reduce((s, p) => s + index.get(p)!, 0) / ps.length : Number.MAX_SAFE_INTEGER;
      };
      const keys = new Map(ids0.map((id) => [id, key(id)]));
      ids0.sort((a, b) => keys.get(a)! - keys.get(b)!);
    }
    ids0.forEach((id, i) => index.set(id, i));
  });
  const out = new Map<string, { x: number; y: number }>();
  let x = 24;
  for (const ids0 of layers) {
    if (!ids0) continue;
    const width = Math.max(...ids0.map((id) => size(id).width));
    let y = 24;
    for (const id of ids0) {
      out.set(id, { x: Math.round(x), y: Math.round(y) });
      y += size(id).height + gap.y;
    }
    const widest = Math.max(0, ...ids0.map(labels));
    x += width + Math.max(gap.x, widest ? widest + 48 : 0);
  }
  return out;
}
