// An edge drawn as a curve bent apart from the other edges between the same
// two nodes (its slot, lib/fan.ts), its label at the curve's middle.
import { BaseEdge, type Edge, type EdgeProps } from "@xyflow/react";
import { memo } from "react";
import { fannedPath, labelWidth } from "../lib/fan";

export type FannedEdgeType = Edge<{ index: number; slot: number }, "fanned">;

function FannedEdge({ id, sourceX, sourceY, targetX, targetY, label, labelStyle, labelShowBg, labelBgStyle, labelBgPadding, labelBgBorderRadius, style, markerEnd, markerStart, interactionWidth, data }: EdgeProps<FannedEdgeType>) {
  const { path, labelX, labelY } = fannedPath(sourceX, sourceY, targetX, targetY, data?.slot ?? 0, labelWidth(label));
  return (
    <BaseEdge
      id={id}
      path={path}
      labelX={labelX}
      labelY={labelY}
      label={label}
      labelStyle={labelStyle}
      labelShowBg={labelShowBg}
      labelBgStyle={labelBgStyle}
      labelBgPadding={labelBgPadding ?? [4, 2]}
      labelBgBorderRadius={labelBgBorderRadius ?? 3}
      style={style}
      markerEnd={markerEnd}
      markerStart={markerStart}
      interactionWidth={interactionWidth}
    />
  );
}

export default memo(FannedEdge);
