package org.didmeta.example;

import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.didmeta.client.DidListing;
import org.didmeta.client.DidRow;
import org.didmeta.client.DidmetaClient;
import org.didmeta.client.DidmetaException;
import org.didmeta.client.ListOptions;

/**
 * Runs a scenario file against a didmeta server with the Java client and prints the canonical cross-language
 * transcript (docs/contract.md): creates a scope and DIDs, sets typed metadata (int, double, string, bool,
 * timestamp, list, map), streams a filtered ListDids, resumes it from a page token, and handles NOT_FOUND /
 * ALREADY_EXISTS with their ErrorInfo reason.
 *
 * <p>Usage: java -cp ... org.didmeta.example.Example SCENARIO.json HOST:PORT SCOPE
 */
public final class Example {
  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  private Example() {}

  /** A scenario value ({"int": "5"}, {"timestamp": "...Z"}, ...) as the client's typed Java value. */
  static Object typed(com.google.protobuf.Value spec) {
    Map.Entry<String, com.google.protobuf.Value> e = spec.getStructValue().getFieldsMap().entrySet().iterator().next();
    com.google.protobuf.Value raw = e.getValue();
    switch (e.getKey()) {
      case "int":
        return Long.parseLong(raw.getStringValue());
      case "double":
        return raw.getNumberValue();
      case "string":
        return raw.getStringValue();
      case "bool":
        return raw.getBoolValue();
      case "null":
        return null;
      case "timestamp":
        return Instant.parse(raw.getStringValue());
      case "list":
        List<Object> items = new ArrayList<>();
        raw.getListValue().getValuesList().forEach(item -> items.add(typed(item)));
        return items;
      case "map":
        return typedMap(raw.getStructValue());
      default:
        throw new IllegalArgumentException("unknown value kind " + e.getKey());
    }
  }

  static Map<String, Object> typedMap(Struct fields) {
    Map<String, Object> out = new LinkedHashMap<>();
    fields.getFieldsMap().forEach((k, v) -> out.put(k, typed(v)));
    return out;
  }

  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  static String doubleText(double d) {
    String s = Double.toString(d);
    return s.matches(".*[.en].*") ? s : s + ".0";
  }

  static String canonical(Object v) {
    if (v == null) {
      return "null";
    } else if (v instanceof Boolean b) {
      return "bool:" + b;
    } else if (v instanceof Long l) {
      return "int:" + l;
    } else if (v instanceof Double d) {
      return "double:" + doubleText(d);
    } else if (v instanceof String s) {
      return "string:" + quote(s);
    } else if (v instanceof Instant t) {
      return "timestamp:" + TIMESTAMP.format(t);
    } else if (v instanceof List<?> items) {
      List<String> parts = new ArrayList<>();
      items.forEach(item -> parts.add(canonical(item)));
      return "[" + String.join(", ", parts) + "]";
    } else if (v instanceof Map<?, ?> map) {
      return canonicalMap(map);
    }
    return "?" + v.getClass().getName();
  }

  static String canonicalMap(Map<?, ?> map) {
    List<String> parts = new ArrayList<>();
    new TreeMap<>(map).forEach((k, v) -> parts.add(k + "=" + canonical(v)));
    return "{" + String.join(", ", parts) + "}";
  }

  static String errorText(DidmetaException e) {
    return "error " + e.code().name() + " reason=" + e.reason() + " metadata=" + canonicalMap(e.metadata())
        + " message=" + e.getMessage();
  }

  static String str(Struct s, String key, String fallback) {
    return s.containsFields(key) ? s.getFieldsOrThrow(key).getStringValue() : fallback;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: Example SCENARIO.json HOST:PORT SCOPE");
      System.exit(2);
    }
    Struct.Builder scenario = Struct.newBuilder();
    JsonFormat.parser().merge(Files.readString(Path.of(args[0])), scenario);
    String scope = args[2];
    StringBuilder out = new StringBuilder();
    try (DidmetaClient client = new DidmetaClient(args[1])) {
      Struct lastList = Struct.getDefaultInstance();
      String token = "";
      for (com.google.protobuf.Value stepValue : scenario.getFieldsOrThrow("steps").getListValue().getValuesList()) {
        Struct s = stepValue.getStructValue();
        String op = str(s, "op", "");
        String name = str(s, "name", "");
        String label = name.isEmpty() ? op : op + " " + scope + ":" + name;
        try {
          switch (op) {
            case "add_scope" -> {
              label = "add_scope " + scope;
              client.addScope(scope);
              out.append(label).append(": ok\n");
            }
            case "add_dids" -> {
              List<DidmetaClient.NewDidSpec> specs = new ArrayList<>();
              for (com.google.protobuf.Value d : s.getFieldsOrThrow("dids").getListValue().getValuesList()) {
                Struct ds = d.getStructValue();
                String bytes = str(ds, "bytes", null);
                specs.add(new DidmetaClient.NewDidSpec(scope, str(ds, "name", ""), str(ds, "type", ""),
                    bytes == null ? null : Long.parseLong(bytes), str(ds, "adler32", ""), Map.of()));
              }
              long created = client.addDids(specs);
              out.append(label).append(": created ").append(created).append('\n');
            }
            case "set_metadata" -> {
              client.setMetadata(scope, name, typedMap(s.getFieldsOrThrow("metadata").getStructValue()));
              out.append(label).append(": ok\n");
            }
            case "get_metadata" -> {
              String plugin = str(s, "plugin", "");
              label += " " + plugin;
              String metadata = canonicalMap(client.getMetadata(scope, name, plugin));
              out.append(label).append(": ").append(metadata).append('\n');
            }
            case "get_did" -> {
              DidmetaClient.DidInfo info = client.getDid(scope, name);
              out.append(String.format("%s: type=%s bytes=%d length=%d adler32=%s open=%s\n", label, info.type(),
                  info.bytes(), info.length(), info.adler32(), info.isOpen()));
            }
            case "list_dids", "resume_list_dids" -> {
              if (op.equals("list_dids")) {
                lastList = s;
                token = "";
              }
              String filter = str(lastList, "filter", "");
              label = op + " filter=" + quote(filter);
              ListOptions options = new ListOptions().filter(filter).type(str(lastList, "type", "COLLECTION"))
                  .pageToken(token);
              if (lastList.containsFields("batch_size")) {
                options.batchSize((int) lastList.getFieldsOrThrow("batch_size").getNumberValue());
              }
              boolean longListing = lastList.containsFields("long") && lastList.getFieldsOrThrow("long").getBoolValue();
              if (longListing) {
                List<String> keys = new ArrayList<>();
                lastList.getFieldsOrThrow("metadata_keys").getListValue().getValuesList()
                    .forEach(k -> keys.add(k.getStringValue()));
                options.longListing(keys);
              }
              int take = s.containsFields("take_batches") ? (int) s.getFieldsOrThrow("take_batches").getNumberValue() : 0;
              List<String> rows = new ArrayList<>();
              List<String> tokens = new ArrayList<>();
              try (DidListing listing = client.listDids(scope, options)) {
                while (listing.hasNext()) {
                  DidRow row = listing.next();
                  if (tokens.isEmpty() || !tokens.get(tokens.size() - 1).equals(listing.pageToken())) {
                    if (take > 0 && tokens.size() == take) {
                      break;
                    }
                    tokens.add(listing.pageToken());
                  }
                  rows.add(longListing
                      ? String.format("%s %s bytes=%d length=%d %s", row.did(), row.type(), row.bytes(), row.length(),
                          canonicalMap(row.metadata()))
                      : row.did());
                }
              }
              token = tokens.isEmpty() ? "" : tokens.get(tokens.size() - 1);
              out.append(label).append(": ").append(rows.size()).append(" DID(s)")
                  .append(take > 0 ? " (stopped early)" : "").append('\n');
              rows.forEach(r -> out.append("  ").append(r).append('\n'));
              out.append("  token=").append(token.isEmpty() ? "no" : "yes").append('\n');
            }
            default -> throw new IllegalArgumentException("unknown op " + op);
          }
        } catch (DidmetaException e) {
          out.append(label).append(": ").append(errorText(e)).append('\n');
        }
      }
    }
    System.out.print(out);
    System.out.flush();
  }
}
