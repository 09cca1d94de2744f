package org.didmeta.client;

import com.google.protobuf.NullValue;
import com.google.protobuf.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.didmeta.v1.ListValue;
import org.didmeta.v1.MapValue;
import org.didmeta.v1.Value;

/**
 * Typed metadata values and the wire {@link Value}. A value is one of: {@code null}, {@link Boolean},
 * {@link Long} (int64), {@link Double}, {@link String}, {@link Instant} (timestamp, microseconds),
 * {@link List} of values, {@link Map} of String to value. In: also Integer, Short, Float.
 */
public final class Values {
  private Values() {}

  public static Value toValue(Object v) {
    Value.Builder b = Value.newBuilder();
    if (v == null) {
      return b.setNullValue(NullValue.NULL_VALUE).build();
    } else if (v instanceof Boolean x) {
      return b.setBoolValue(x).build();
    } else if (v instanceof Long || v instanceof Integer || v instanceof Short) {
      return b.setIntValue(((Number) v).longValue()).build();
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new IllegalArgumentException("didmeta: " + d + " is not a finite double");
      }
      return b.setDoubleValue(d).build();
    } else if (v instanceof String x) {
      return b.setStringValue(x).build();
    } else if (v instanceof Instant x) {
      return b.setTimestampValue(Timestamp.newBuilder().setSeconds(x.getEpochSecond()).setNanos(x.getNano())).build();
    } else if (v instanceof List<?> items) {
      ListValue.Builder list = ListValue.newBuilder();
      for (Object item : items) {
        list.addValues(toValue(item));
      }
      return b.setListValue(list).build();
    } else if (v instanceof Map<?, ?> map) {
      MapValue.Builder fields = MapValue.newBuilder();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        fields.putFields(String.valueOf(e.getKey()), toValue(e.getValue()));
      }
      return b.setMapValue(fields).build();
    }
    throw new IllegalArgumentException("didmeta: unsupported metadata value type " + v.getClass().getName());
  }

  public static Object fromValue(Value v) {
    switch (v.getKindCase()) {
      case NULL_VALUE:
        return null;
      case BOOL_VALUE:
        return v.getBoolValue();
      case INT_VALUE:
        return v.getIntValue();
      case DOUBLE_VALUE:
        return v.getDoubleValue();
      case STRING_VALUE:
        return v.getStringValue();
      case TIMESTAMP_VALUE:
        return Instant.ofEpochSecond(v.getTimestampValue().getSeconds(), v.getTimestampValue().getNanos());
      case LIST_VALUE:
        List<Object> items = new ArrayList<>();
        for (Value item : v.getListValue().getValuesList()) {
          items.add(fromValue(item));
        }
        return Collections.unmodifiableList(items);
      case MAP_VALUE:
        return fromValues(v.getMapValue().getFieldsMap());
      default:
        throw new IllegalArgumentException("didmeta: value without a kind");
    }
  }

  public static Map<String, Value> toValues(Map<String, ?> metadata) {
    Map<String, Value> out = new LinkedHashMap<>();
    metadata.forEach((k, v) -> out.put(k, toValue(v)));
    return out;
  }

  public static Map<String, Object> fromValues(Map<String, Value> values) {
    Map<String, Object> out = new LinkedHashMap<>();
    values.forEach((k, v) -> out.put(k, fromValue(v)));
    return Collections.unmodifiableMap(out);
  }
}
