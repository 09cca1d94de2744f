// Command didmeta-example runs a scenario file against a didmeta server with the Go client and prints the
// canonical cross-language transcript (docs/contract.md): it creates a scope and DIDs, sets typed metadata
// (int, double, string, bool, timestamp, list, map), streams a filtered ListDids, resumes it from a page
// token, and handles NOT_FOUND / ALREADY_EXISTS errors with their ErrorInfo reason.
//
// Usage: didmeta-example SCENARIO.json HOST:PORT SCOPE
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	didmeta "github.com/didmeta/didmeta/clients/go"
)

type step struct {
	Op           string                     `json:"op"`
	Name         string                     `json:"name"`
	Plugin       string                     `json:"plugin"`
	Dids         []map[string]string        `json:"dids"`
	Metadata     map[string]json.RawMessage `json:"metadata"`
	Filter       string                     `json:"filter"`
	Type         string                     `json:"type"`
	BatchSize    int32                      `json:"batch_size"`
	TakeBatches  int                        `json:"take_batches"`
	Long         bool                       `json:"long"`
	MetadataKeys []string                   `json:"metadata_keys"`
}

// typed turns a scenario value ({"int": "5"}, {"timestamp": "...Z"}, ...) into the client's Go value.
func typed(raw json.RawMessage) (any, error) {
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(raw, &spec); err != nil || len(spec) != 1 {
		return nil, fmt.Errorf("bad value %s", raw)
	}
	for kind, body := range spec {
		switch kind {
		case "int":
			var s string
			if err := json.Unmarshal(body, &s); err != nil {
				return nil, err
			}
			return strconv.ParseInt(s, 10, 64)
		case "double":
			var f float64
			err := json.Unmarshal(body, &f)
			return f, err
		case "string":
			var s string
			err := json.Unmarshal(body, &s)
			return s, err
		case "bool":
			var b bool
			err := json.Unmarshal(body, &b)
			return b, err
		case "null":
			return nil, nil
		case "timestamp":
			var s string
			if err := json.Unmarshal(body, &s); err != nil {
				return nil, err
			}
			return time.Parse(time.RFC3339Nano, s)
		case "list":
			var items []json.RawMessage
			if err := json.Unmarshal(body, &items); err != nil {
				return nil, err
			}
			out := []any{}
			for _, item := range items {
				v, err := typed(item)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			return out, nil
		case "map":
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(body, &fields); err != nil {
				return nil, err
			}
			return typedMap(fields)
		}
		return nil, fmt.Errorf("unknown value kind %q", kind)
	}
	return nil, nil
}

func typedMap(fields map[string]json.RawMessage) (map[string]any, error) {
	out := map[string]any{}
	for k, item := range fields {
		v, err := typed(item)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}

func doubleText(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".en") {
		s += ".0"
	}
	return s
}

func canonical(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool:" + strconv.FormatBool(x)
	case int64:
		return "int:" + strconv.FormatInt(x, 10)
	case float64:
		return "double:" + doubleText(x)
	case string:
		return "string:" + quote(x)
	case time.Time:
		return "timestamp:" + x.UTC().Format("2006-01-02T15:04:05.000000Z")
	case []any:
		parts := make([]string, len(x))
		for i, item := range x {
			parts[i] = canonical(item)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		return canonicalMap(x)
	}
	return fmt.Sprintf("?%T", v)
}

func canonicalMap(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + canonical(m[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func errorText(err error) string {
	var e *didmeta.Error
	if !errors.As(err, &e) {
		return "error UNKNOWN reason= metadata={} message=" + err.Error()
	}
	md := map[string]any{}
	for k, v := range e.Metadata {
		md[k] = v
	}
	return fmt.Sprintf("error %s reason=%s metadata=%s message=%s", didmeta.CodeName(e.Code), e.Reason, canonicalMap(md), e.Message)
}

func run(path, target, scope string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var scenario struct{ Steps []step }
	if err := json.Unmarshal(data, &scenario); err != nil {
		return err
	}
	client, err := didmeta.New(target)
	if err != nil {
		return err
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	did := func(name string) didmeta.DidKey { return didmeta.DidKey{Scope: scope, Name: name} }

	var lastList step
	token := ""
	for _, s := range scenario.Steps {
		label := s.Op
		if s.Name != "" {
			label += " " + did(s.Name).String()
		}
		var err error
		switch s.Op {
		case "add_scope":
			label = "add_scope " + scope
			if err = client.AddScope(ctx, scope); err == nil {
				fmt.Printf("%s: ok\n", label)
			}
		case "add_dids":
			var news []didmeta.NewDid
			for _, d := range s.Dids {
				n := didmeta.NewDid{Did: did(d["name"]), Type: didmeta.DidType(d["type"]), Adler32: d["adler32"]}
				if b, ok := d["bytes"]; ok {
					v, perr := strconv.ParseInt(b, 10, 64)
					if perr != nil {
						return perr
					}
					n.Bytes = &v
				}
				news = append(news, n)
			}
			var created int64
			if created, err = client.AddDids(ctx, news); err == nil {
				fmt.Printf("%s: created %d\n", label, created)
			}
		case "set_metadata":
			md, terr := typedMap(s.Metadata)
			if terr != nil {
				return terr
			}
			if err = client.SetMetadata(ctx, did(s.Name), md); err == nil {
				fmt.Printf("%s: ok\n", label)
			}
		case "get_metadata":
			label += " " + s.Plugin
			var md didmeta.Metadata
			if md, err = client.GetMetadata(ctx, did(s.Name), s.Plugin); err == nil {
				fmt.Printf("%s: %s\n", label, canonicalMap(md))
			}
		case "get_did":
			var info *didmeta.DidInfo
			if info, err = client.GetDid(ctx, did(s.Name)); err == nil {
				fmt.Printf("%s: type=%s bytes=%d length=%d adler32=%s open=%t\n",
					label, info.Type, info.Bytes, info.Length, info.Adler32, info.IsOpen)
			}
		case "list_dids", "resume_list_dids":
			if s.Op == "list_dids" {
				lastList, token = s, ""
			}
			label = s.Op + " filter=" + quote(lastList.Filter)
			typ := lastList.Type
			if typ == "" {
				typ = "COLLECTION"
			}
			it := client.ListDids(ctx, scope, didmeta.ListOptions{
				Filter: lastList.Filter, Type: typ, BatchSize: lastList.BatchSize, Long: lastList.Long,
				MetadataKeys: lastList.MetadataKeys, PageToken: token,
			})
			var rows, tokens []string
			for it.Next() {
				if len(tokens) == 0 || tokens[len(tokens)-1] != it.PageToken() {
					if s.TakeBatches > 0 && len(tokens) == s.TakeBatches {
						break
					}
					tokens = append(tokens, it.PageToken())
				}
				r := it.Row()
				if lastList.Long {
					rows = append(rows, fmt.Sprintf("%s %s bytes=%d length=%d %s", r.Did, r.Type, r.Bytes, r.Length, canonicalMap(r.Metadata)))
				} else {
					rows = append(rows, r.Did.String())
				}
			}
			if err = it.Err(); err == nil {
				token = ""
				if len(tokens) > 0 {
					token = tokens[len(tokens)-1]
				}
				early := ""
				if s.TakeBatches > 0 {
					early = " (stopped early)"
				}
				fmt.Printf("%s: %d DID(s)%s\n", label, len(rows), early)
				for _, r := range rows {
					fmt.Printf("  %s\n", r)
				}
				fmt.Printf("  token=%s\n", map[bool]string{true: "yes", false: "no"}[token != ""])
			}
		default:
			return fmt.Errorf("unknown op %q", s.Op)
		}
		if err != nil {
			if !errors.As(err, new(*didmeta.Error)) {
				return err
			}
			fmt.Printf("%s: %s\n", label, errorText(err))
		}
	}
	return nil
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: didmeta-example SCENARIO.json HOST:PORT SCOPE")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, "didmeta-example:", err)
		os.Exit(1)
	}
}
