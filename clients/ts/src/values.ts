// Typed metadata values <-> the wire Value message.
import { create } from "@bufbuild/protobuf";
import { NullValue, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ListValueSchema, MapValueSchema, type Value, ValueSchema } from "./gen/didmeta/v1/value_pb.js";

/**
 * One metadata value: null, boolean, bigint (int64), number (double), string, Date (timestamp,
 * millisecond precision in JavaScript), an array of values, or a plain object of values (map).
 */
export type MetaValue = null | boolean | bigint | number | string | Date | MetaValue[] | { [key: string]: MetaValue };

/** Metadata: key to typed value. */
export type Metadata = { [key: string]: MetaValue };

export function toValue(v: MetaValue): Value {
  if (v === null) return create(ValueSchema, { kind: { case: "nullValue", value: NullValue.NULL_VALUE } });
  switch (typeof v) {
    case "boolean":
      return create(ValueSchema, { kind: { case: "boolValue", value: v } });
    case "bigint":
      return create(ValueSchema, { kind: { case: "intValue", value: v } });
    case "number":
      if (!Number.isFinite(v)) throw new RangeError(`didmeta: ${v} is not a finite double`);
      return create(ValueSchema, { kind: { case: "doubleValue", value: v } });
    case "string":
      return create(ValueSchema, { kind: { case: "stringValue", value: v } });
  }
  if (v instanceof Date) return create(ValueSchema, { kind: { case: "timestampValue", value: timestampFromDate(v) } });
  if (Array.isArray(v)) {
    return create(ValueSchema, { kind: { case: "listValue", value: create(ListValueSchema, { values: v.map(toValue) }) } });
  }
  return create(ValueSchema, { kind: { case: "mapValue", value: create(MapValueSchema, { fields: toValues(v) }) } });
}

export function fromValue(v: Value): MetaValue {
  const kind = v.kind;
  switch (kind.case) {
    case "nullValue":
      return null;
    case "boolValue":
    case "intValue":
    case "doubleValue":
    case "stringValue":
      return kind.value;
    case "timestampValue":
      return timestampDate(kind.value);
    case "listValue":
      return kind.value.values.map(fromValue);
    case "mapValue":
      return fromValues(kind.value.fields);
    default:
      throw new TypeError("didmeta: value without a kind");
  }
}

export function toValues(m: Metadata): { [key: string]: Value } {
  const out: { [key: string]: Value } = {};
  for (const [key, item] of Object.entries(m)) out[key] = toValue(item);
  return out;
}

export function fromValues(m: { [key: string]: Value }): Metadata {
  const out: Metadata = {};
  for (const [key, item] of Object.entries(m)) out[key] = fromValue(item);
  return out;
}
