package didmeta

import (
	"math"
	"reflect"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

func TestValuesRoundTrip(t *testing.T) {
	ts := time.Date(2024, 5, 1, 12, 30, 45, 123456000, time.UTC)
	in := Metadata{
		"null": nil, "bool": true, "int": int64(math.MaxInt64), "double": 2.5, "string": "s",
		"time": ts, "list": []any{int64(1), "a", []any{false}}, "map": map[string]any{"k": int64(-3)},
	}
	values, err := toValues(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := fromValues(values)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip changed the values:\n in: %#v\nout: %#v", in, out)
	}
}

func TestNarrowTypesWiden(t *testing.T) {
	v, err := ToValue(int32(7))
	if err != nil || v.GetIntValue() != 7 {
		t.Fatalf("int32: %v %v", v, err)
	}
	v, err = ToValue([]string{"a", "b"})
	if err != nil || len(v.GetListValue().GetValues()) != 2 {
		t.Fatalf("[]string: %v %v", v, err)
	}
}

func TestRefusedValues(t *testing.T) {
	for _, bad := range []any{math.NaN(), math.Inf(1), struct{}{}, []any{uint64(1)}} {
		if _, err := ToValue(bad); err == nil {
			t.Errorf("%#v was accepted", bad)
		}
	}
}

func TestCodeName(t *testing.T) {
	for code, name := range map[codes.Code]string{
		codes.NotFound: "NOT_FOUND", codes.InvalidArgument: "INVALID_ARGUMENT", codes.Canceled: "CANCELLED",
		codes.OK: "OK", codes.Unavailable: "UNAVAILABLE", codes.FailedPrecondition: "FAILED_PRECONDITION",
	} {
		if got := CodeName(code); got != name {
			t.Errorf("CodeName(%v) = %s, want %s", code, got, name)
		}
	}
}
