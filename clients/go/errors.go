package didmeta

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// FieldViolation is one offending request field (google.rpc.BadRequest).
type FieldViolation struct {
	Field       string
	Description string
}

// Error is a failed call: the gRPC status code, the ErrorInfo reason and metadata, and the BadRequest
// field violations the server sent. Test with errors.As(err, &e) or IsNotFound(err).
type Error struct {
	Code            codes.Code
	Reason          string
	Metadata        map[string]string
	Message         string
	FieldViolations []FieldViolation
}

func (e *Error) Error() string {
	return fmt.Sprintf("didmeta: %s (%s): %s", CodeName(e.Code), e.Reason, e.Message)
}

// CodeName is the canonical gRPC name of a code, as in the spec: NOT_FOUND, INVALID_ARGUMENT, ...
func CodeName(code codes.Code) string {
	if code == codes.OK {
		return "OK"
	}
	if code == codes.Canceled {
		return "CANCELLED"
	}
	var b strings.Builder
	for i, r := range code.String() {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// fromStatus converts a gRPC error into *Error (nil stays nil; non-status errors pass through).
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	result := &Error{Code: st.Code(), Message: st.Message(), Metadata: map[string]string{}}
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			result.Reason = d.GetReason()
			for k, v := range d.GetMetadata() {
				result.Metadata[k] = v
			}
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				result.FieldViolations = append(result.FieldViolations, FieldViolation{v.GetField(), v.GetDescription()})
			}
		}
	}
	return result
}

// StatusCode is the gRPC code of err (codes.Unknown if it is not a didmeta/gRPC error).
func StatusCode(err error) codes.Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return status.Code(err)
}

// IsNotFound reports whether err is a NOT_FOUND status.
func IsNotFound(err error) bool { return StatusCode(err) == codes.NotFound }
