package didmeta

import (
	"fmt"
	"math"
	"time"

	didmetav1 "github.com/didmeta/didmeta/gen/go/didmeta/v1"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Metadata maps metadata keys to typed values. A value is one of:
// nil, bool, int64, float64, string, time.Time, []any, map[string]any
// (values in: also int, int32, uint32, float32, []string, Metadata).
type Metadata = map[string]any

// ToValue converts a Go value to the wire Value; unsupported types are an error.
func ToValue(v any) (*didmetav1.Value, error) {
	switch x := v.(type) {
	case nil:
		return &didmetav1.Value{Kind: &didmetav1.Value_NullValue{NullValue: structpb.NullValue_NULL_VALUE}}, nil
	case bool:
		return &didmetav1.Value{Kind: &didmetav1.Value_BoolValue{BoolValue: x}}, nil
	case int:
		return &didmetav1.Value{Kind: &didmetav1.Value_IntValue{IntValue: int64(x)}}, nil
	case int32:
		return &didmetav1.Value{Kind: &didmetav1.Value_IntValue{IntValue: int64(x)}}, nil
	case uint32:
		return &didmetav1.Value{Kind: &didmetav1.Value_IntValue{IntValue: int64(x)}}, nil
	case int64:
		return &didmetav1.Value{Kind: &didmetav1.Value_IntValue{IntValue: x}}, nil
	case float32:
		return ToValue(float64(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("didmeta: %v is not a finite double", x)
		}
		return &didmetav1.Value{Kind: &didmetav1.Value_DoubleValue{DoubleValue: x}}, nil
	case string:
		return &didmetav1.Value{Kind: &didmetav1.Value_StringValue{StringValue: x}}, nil
	case time.Time:
		return &didmetav1.Value{Kind: &didmetav1.Value_TimestampValue{TimestampValue: timestamppb.New(x)}}, nil
	case []string:
		items := make([]any, len(x))
		for i, s := range x {
			items[i] = s
		}
		return ToValue(items)
	case []any:
		list := &didmetav1.ListValue{Values: make([]*didmetav1.Value, 0, len(x))}
		for _, item := range x {
			value, err := ToValue(item)
			if err != nil {
				return nil, err
			}
			list.Values = append(list.Values, value)
		}
		return &didmetav1.Value{Kind: &didmetav1.Value_ListValue{ListValue: list}}, nil
	case map[string]any:
		fields, err := toValues(x)
		if err != nil {
			return nil, err
		}
		return &didmetav1.Value{Kind: &didmetav1.Value_MapValue{MapValue: &didmetav1.MapValue{Fields: fields}}}, nil
	default:
		return nil, fmt.Errorf("didmeta: unsupported metadata value type %T", v)
	}
}

// FromValue converts a wire Value to its Go value (see Metadata for the types).
func FromValue(v *didmetav1.Value) (any, error) {
	switch k := v.GetKind().(type) {
	case *didmetav1.Value_NullValue:
		return nil, nil
	case *didmetav1.Value_BoolValue:
		return k.BoolValue, nil
	case *didmetav1.Value_IntValue:
		return k.IntValue, nil
	case *didmetav1.Value_DoubleValue:
		return k.DoubleValue, nil
	case *didmetav1.Value_StringValue:
		return k.StringValue, nil
	case *didmetav1.Value_TimestampValue:
		return k.TimestampValue.AsTime().UTC(), nil
	case *didmetav1.Value_ListValue:
		items := make([]any, 0, len(k.ListValue.GetValues()))
		for _, item := range k.ListValue.GetValues() {
			value, err := FromValue(item)
			if err != nil {
				return nil, err
			}
			items = append(items, value)
		}
		return items, nil
	case *didmetav1.Value_MapValue:
		return fromValues(k.MapValue.GetFields())
	default:
		return nil, fmt.Errorf("didmeta: value without a kind")
	}
}

func toValues(m map[string]any) (map[string]*didmetav1.Value, error) {
	out := make(map[string]*didmetav1.Value, len(m))
	for key, item := range m {
		value, err := ToValue(item)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out[key] = value
	}
	return out, nil
}

func fromValues(m map[string]*didmetav1.Value) (Metadata, error) {
	out := make(Metadata, len(m))
	for key, item := range m {
		value, err := FromValue(item)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out[key] = value
	}
	return out, nil
}
