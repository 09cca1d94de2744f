// Package didmeta is the Go client of the didmeta gRPC service: typed metadata values in and out,
// a ListDids iterator that resumes from its page token after a dropped stream, and errors that
// carry the status code and the ErrorInfo reason (see Error).
package didmeta

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	didmetav1 "github.com/didmeta/didmeta/gen/go/didmeta/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// DefaultTarget is where `didmeta serve` listens by default.
const DefaultTarget = "127.0.0.1:50051"

// Client is a connection to one didmeta server; safe for concurrent use.
type Client struct {
	conn  *grpc.ClientConn
	dids  didmetav1.DidServiceClient
	meta  didmetav1.MetadataServiceClient
	token string
	// ResumeAttempts bounds how often one ListDids iteration reopens a stream that failed with UNAVAILABLE.
	ResumeAttempts int
}

// Option configures New.
type Option func(*options)

type options struct {
	dial  []grpc.DialOption
	token string
}

// WithDialOptions adds grpc dial options (default: insecure transport credentials). Every channel also
// gets ReadRetryServiceConfig as its default service config.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dial = append(o.dial, opts...) }
}

// WithToken sends `authorization: Bearer TOKEN` with every call.
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// New connects (lazily) to a server at target, e.g. "127.0.0.1:50051".
func New(target string, opts ...Option) (*Client, error) {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if len(o.dial) == 0 {
		o.dial = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	// Reads retried on UNAVAILABLE (ReadRetryServiceConfig); a WithDefaultServiceConfig of the caller's,
	// given after it, replaces it.
	dial := append([]grpc.DialOption{grpc.WithDefaultServiceConfig(ReadRetryServiceConfig)}, o.dial...)
	conn, err := grpc.NewClient(target, dial...)
	if err != nil {
		return nil, err
	}
	return &Client{
		conn: conn, dids: didmetav1.NewDidServiceClient(conn), meta: didmetav1.NewMetadataServiceClient(conn),
		token: o.token, ResumeAttempts: 5,
	}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

func (c *Client) ctx(ctx context.Context) context.Context {
	if c.token == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.token)
}

// DidKey names one DID.
type DidKey struct{ Scope, Name string }

// ParseDid splits "scope:name".
func ParseDid(did string) (DidKey, error) {
	scope, name, ok := strings.Cut(did, ":")
	if !ok {
		return DidKey{}, fmt.Errorf("didmeta: %q is not scope:name", did)
	}
	return DidKey{scope, name}, nil
}

func (k DidKey) String() string { return k.Scope + ":" + k.Name }

func (k DidKey) wire() *didmetav1.DidKey { return &didmetav1.DidKey{Scope: k.Scope, Name: k.Name} }

// DidType names a DID type: "FILE", "DATASET", "CONTAINER".
type DidType string

// NewDid describes a DID to create; Bytes and Events are optional.
type NewDid struct {
	Did      DidKey
	Type     DidType
	Bytes    *int64
	Events   *int64
	Adler32  string
	MD5      string
	GUID     string
	Metadata Metadata
}

// DidInfo is a DID with its intrinsic attributes.
type DidInfo struct {
	Did                        DidKey
	Type                       DidType
	Account                    string
	Bytes, Length, Events      int64
	MD5, Adler32, GUID         string
	IsOpen, Suppressed, Hidden bool
	CreatedAt, UpdatedAt       time.Time
	ClosedAt, ExpiredAt, EolAt *time.Time
}

func typeName(t didmetav1.DidType) DidType {
	return DidType(strings.TrimPrefix(t.String(), "DID_TYPE_"))
}

// AddScope creates a scope (ALREADY_EXISTS if it exists).
func (c *Client) AddScope(ctx context.Context, scope string) error {
	_, err := c.dids.AddScope(c.ctx(ctx), &didmetav1.AddScopeRequest{Scope: scope})
	return fromStatus(err)
}

// AddDids creates DIDs atomically and returns how many were created.
func (c *Client) AddDids(ctx context.Context, dids []NewDid) (int64, error) {
	request := &didmetav1.AddDidsRequest{}
	for _, d := range dids {
		wireType, ok := didmetav1.DidType_value["DID_TYPE_"+strings.ToUpper(string(d.Type))]
		if !ok {
			return 0, fmt.Errorf("didmeta: unknown DID type %q", d.Type)
		}
		md, err := toValues(d.Metadata)
		if err != nil {
			return 0, err
		}
		request.Dids = append(request.Dids, &didmetav1.NewDid{
			Scope: d.Did.Scope, Name: d.Did.Name, Type: didmetav1.DidType(wireType), Bytes: d.Bytes,
			Events: d.Events, Adler32: d.Adler32, Md5: d.MD5, Guid: d.GUID, Metadata: md,
		})
	}
	response, err := c.dids.AddDids(c.ctx(ctx), request)
	if err != nil {
		return 0, fromStatus(err)
	}
	return response.GetCreated(), nil
}

// GetDid returns one DID's intrinsic attributes.
func (c *Client) GetDid(ctx context.Context, did DidKey) (*DidInfo, error) {
	response, err := c.dids.GetDid(c.ctx(ctx), &didmetav1.GetDidRequest{Did: did.wire()})
	if err != nil {
		return nil, fromStatus(err)
	}
	d := response.GetDid()
	optional := func(t interface{ AsTime() time.Time }, set bool) *time.Time {
		if !set {
			return nil
		}
		v := t.AsTime().UTC()
		return &v
	}
	return &DidInfo{
		Did: DidKey{d.GetScope(), d.GetName()}, Type: typeName(d.GetType()), Account: d.GetAccount(),
		Bytes: d.GetBytes(), Length: d.GetLength(), Events: d.GetEvents(),
		MD5: d.GetMd5(), Adler32: d.GetAdler32(), GUID: d.GetGuid(),
		IsOpen: d.GetIsOpen(), Suppressed: d.GetSuppressed(), Hidden: d.GetHidden(),
		CreatedAt: d.GetCreatedAt().AsTime().UTC(), UpdatedAt: d.GetUpdatedAt().AsTime().UTC(),
		ClosedAt:  optional(d.GetClosedAt(), d.GetClosedAt() != nil),
		ExpiredAt: optional(d.GetExpiredAt(), d.GetExpiredAt() != nil),
		EolAt:     optional(d.GetEolAt(), d.GetEolAt() != nil),
	}, nil
}

// SetMetadata sets keys on one DID (upsert per key).
func (c *Client) SetMetadata(ctx context.Context, did DidKey, md Metadata) error {
	values, err := toValues(md)
	if err != nil {
		return err
	}
	_, err = c.meta.SetMetadata(c.ctx(ctx), &didmetav1.SetMetadataRequest{Did: did.wire(), Metadata: values})
	return fromStatus(err)
}

// GetMetadata returns one DID's metadata from one plugin ("" = DID_COLUMN, "ALL" = merged).
func (c *Client) GetMetadata(ctx context.Context, did DidKey, plugin string) (Metadata, error) {
	response, err := c.meta.GetMetadata(c.ctx(ctx), &didmetav1.GetMetadataRequest{Did: did.wire(), Plugin: plugin})
	if err != nil {
		return nil, fromStatus(err)
	}
	return fromValues(response.GetMetadata())
}

// ListOptions are the arguments of ListDids besides the scope.
type ListOptions struct {
	Filter       string // the filter in the string grammar, e.g. "run.gte=100,type=DATASET"
	Type         string // ALL, COLLECTION (default), CONTAINER, DATASET, FILE
	Long         bool   // also type, bytes, length and MetadataKeys
	MetadataKeys []string
	Recursive    bool
	IgnoreCase   bool
	Limit        int64
	BatchSize    int32
	PageToken    string // resume after the DIDs a previous listing delivered
}

// DidRow is one listed DID; Type, Bytes, Length and Metadata are set in long listings.
type DidRow struct {
	Did      DidKey
	Type     DidType
	Bytes    int64
	Length   int64
	Metadata Metadata
}

// DidIterator streams ListDids results:
//
//	it := c.ListDids(ctx, "scope", didmeta.ListOptions{Filter: "run.gte=2"})
//	for it.Next() { use(it.Row()) }
//	if err := it.Err(); err != nil { ... }
//
// A stream that fails with UNAVAILABLE is reopened from the last page token (up to ResumeAttempts times).
type DidIterator struct {
	client   *Client
	ctx      context.Context
	request  *didmetav1.ListDidsRequest
	stream   grpc.ServerStreamingClient[didmetav1.ListDidsResponse]
	rows     []DidRow
	row      DidRow
	token    string
	attempts int
	err      error
	done     bool
}

// ListDids starts a listing; nothing is sent until the first Next.
func (c *Client) ListDids(ctx context.Context, scope string, opts ListOptions) *DidIterator {
	it := &DidIterator{client: c, ctx: c.ctx(ctx), token: opts.PageToken}
	selector := "DID_TYPE_SELECTOR_" + strings.ToUpper(opts.Type)
	if opts.Type == "" {
		selector = "DID_TYPE_SELECTOR_COLLECTION"
	}
	wireSelector, ok := didmetav1.DidTypeSelector_value[selector]
	if !ok {
		it.err, it.done = fmt.Errorf("didmeta: unknown type selector %q", opts.Type), true
		return it
	}
	it.request = &didmetav1.ListDidsRequest{
		Scope: scope, Type: didmetav1.DidTypeSelector(wireSelector), Long: opts.Long, Recursive: opts.Recursive,
		Limit: opts.Limit, IgnoreCase: opts.IgnoreCase, MetadataKeys: opts.MetadataKeys, BatchSize: opts.BatchSize,
	}
	if opts.Filter != "" {
		it.request.Filter = &didmetav1.Filter{Expression: opts.Filter}
	}
	return it
}

// Next advances to the next DID; false at the end or on error (see Err).
func (it *DidIterator) Next() bool {
	for len(it.rows) == 0 {
		if it.done {
			return false
		}
		it.receive()
	}
	it.row, it.rows = it.rows[0], it.rows[1:]
	return true
}

func (it *DidIterator) receive() {
	if it.stream == nil {
		it.request.PageToken = it.token
		stream, err := it.client.meta.ListDids(it.ctx, it.request)
		if err != nil {
			it.fail(err)
			return
		}
		it.stream = stream
	}
	response, err := it.stream.Recv()
	if errors.Is(err, io.EOF) {
		it.done = true
		return
	}
	if err != nil {
		it.stream = nil
		if status.Code(err) == codes.Unavailable && it.attempts < it.client.ResumeAttempts {
			it.attempts++
			select {
			case <-time.After(time.Duration(100<<it.attempts) * time.Millisecond):
			case <-it.ctx.Done():
				it.fail(it.ctx.Err())
			}
			return
		}
		it.fail(err)
		return
	}
	it.attempts = 0
	it.token = response.GetNextPageToken()
	batch := response.GetBatch()
	for i, name := range batch.GetNames() {
		row := DidRow{Did: DidKey{batch.GetScopes()[i], name}}
		if i < len(batch.GetTypes()) {
			row.Type = typeName(batch.GetTypes()[i])
		}
		if i < len(batch.GetBytes()) {
			row.Bytes = batch.GetBytes()[i]
		}
		if i < len(batch.GetLengths()) {
			row.Length = batch.GetLengths()[i]
		}
		if i < len(batch.GetMetadata()) {
			md, err := fromValues(batch.GetMetadata()[i].GetValues())
			if err != nil {
				it.fail(err)
				return
			}
			row.Metadata = md
		} else if it.request.GetLong() {
			row.Metadata = Metadata{}
		}
		it.rows = append(it.rows, row)
	}
}

func (it *DidIterator) fail(err error) { it.err, it.done, it.rows = fromStatus(err), true, nil }

// Row is the current DID.
func (it *DidIterator) Row() DidRow { return it.row }

// PageToken resumes a later listing (ListOptions.PageToken) after the batch of the current row.
func (it *DidIterator) PageToken() string { return it.token }

// Err is the error that ended the iteration, if any (an *Error for a failed call).
func (it *DidIterator) Err() error { return it.err }
