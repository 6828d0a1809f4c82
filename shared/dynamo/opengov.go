package dynamo

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/apperr"
	"banban/shared/calendar"
	"banban/shared/opengov"
)

// DataSets stores the open-government data sets (guides, Q&A, places) as versioned snapshots:
//
//	pk SET#<kind>            sk CURRENT         the version readers use, its chunk count and size
//	pk SET#<kind>#<version>  sk CHUNK#<nnnn>    the gzip'd JSON array, cut into chunks under the
//	                                            400 KB item limit
//	pk SET#<kind>#<version>  sk INDEX#<nnnn>    an artifact built from the records (the packed
//	                                            Q&A search index), in chunks too
//
// A publish writes every chunk of a new version first and then flips the pointer in one
// conditional put, so a reader sees the old set or the new one, never a mix or a half. The
// replaced version's chunks get a TTL a day out: readers that started loading it can finish.
//
// A whole set in a handful of items loads in one Query at cold start, faster than reading a
// thousand items, and the functions hold it in memory.
type DataSets struct {
	DB    API
	Table string
	Now   func() time.Time
}

var _ opengov.Source = (*DataSets)(nil)

// chunkBytes keeps every chunk item well under DynamoDB's 400 KB item limit.
const chunkBytes = 350 * 1024

// supersededTTL is how long a replaced version stays readable.
const supersededTTL = 24 * time.Hour

type pointerItem struct {
	PK          string    `json:"pk"`
	SK          string    `json:"sk"`
	Version     string    `json:"version"`
	Chunks      int       `json:"chunks"`
	Bytes       int       `json:"bytes"`
	IndexChunks int       `json:"indexChunks,omitempty"`
	IndexBytes  int       `json:"indexBytes,omitempty"`
	Records     int       `json:"records"`
	PublishedAt time.Time `json:"publishedAt"`
}

func setPK(k opengov.Kind) string                     { return "SET#" + string(k) }
func versionPK(k opengov.Kind, version string) string { return "SET#" + string(k) + "#" + version }
func chunkSK(i int) string                            { return fmt.Sprintf("CHUNK#%04d", i) }
func indexSK(i int) string                            { return fmt.Sprintf("INDEX#%04d", i) }

// chunks cuts data into items of at most chunkBytes under pk, sort keys from sk.
func chunks(pk string, data []byte, sk func(int) string) []map[string]types.AttributeValue {
	var items []map[string]types.AttributeValue
	for i := 0; i*chunkBytes < len(data) || i == 0; i++ {
		part := data[i*chunkBytes : min((i+1)*chunkBytes, len(data))]
		items = append(items, map[string]types.AttributeValue{"pk": str(pk), "sk": str(sk(i)), "data": &types.AttributeValueMemberB{Value: part}})
	}
	return items
}

// Publish checks records ([]opengov.Guide, []opengov.QA or []opengov.Place), stores them and the
// artifact built from them (nil for none) as a new version of their set and makes it current. It
// fails with a Conflict when another publish of the same set finished in between; then nothing
// changed.
func (s *DataSets) Publish(ctx context.Context, records any, artifact []byte) (string, error) {
	k, count, err := opengov.CheckSet(records)
	if err != nil {
		return "", fmt.Errorf("publish: %w", err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := jsonEncode(zw, records); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("compress %s: %w", k, err)
	}
	prev, err := s.pointer(ctx, k)
	if err != nil && !errNotFound(err) {
		return "", err
	}
	now := s.Now().UTC()
	version := now.Format("20060102T150405Z") + "-" + hex.EncodeToString(randBytes(3))
	data := buf.Bytes()
	items := chunks(versionPK(k, version), data, chunkSK)
	p := pointerItem{PK: setPK(k), SK: "CURRENT", Version: version, Chunks: len(items), Bytes: len(data), Records: count, PublishedAt: now}
	if artifact != nil {
		idx := chunks(versionPK(k, version), artifact, indexSK)
		p.IndexChunks, p.IndexBytes = len(idx), len(artifact)
		items = append(items, idx...)
	}
	if err := batchPut(ctx, s.DB, s.Table, items); err != nil {
		return "", err
	}
	ptr, err := marshal(p)
	if err != nil {
		return "", err
	}
	in := &dynamodb.PutItemInput{TableName: &s.Table, Item: ptr}
	// The pointer moves only from the version this publish started from.
	if prev.Version == "" {
		in.ConditionExpression = aws.String("attribute_not_exists(pk)")
	} else {
		in.ConditionExpression = aws.String("version = :prev")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": str(prev.Version)}
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	_, err = s.DB.PutItem(cctx, in)
	cancel()
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return "", errors.Join(apperr.New(apperr.Conflict, "concurrent_import", "another import of %s finished first; nothing was changed", k),
			s.expire(ctx, k, p))
	}
	if err != nil {
		return "", unavailable(err, "publish "+string(k))
	}
	if prev.Version != "" {
		if err := s.expire(ctx, k, prev); err != nil {
			return version, fmt.Errorf("published %s %s, but the old version stays without expiry: %w", k, version, err)
		}
	}
	return version, nil
}

// expire sets the TTL of a version's chunks.
func (s *DataSets) expire(ctx context.Context, k opengov.Kind, p pointerItem) error {
	at := strconv.FormatInt(s.Now().Add(supersededTTL).Unix(), 10)
	var sks []string
	for i := range p.Chunks {
		sks = append(sks, chunkSK(i))
	}
	for i := range p.IndexChunks {
		sks = append(sks, indexSK(i))
	}
	for _, sk := range sks {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		_, err := s.DB.UpdateItem(cctx, &dynamodb.UpdateItemInput{
			TableName: &s.Table, Key: key(versionPK(k, p.Version), sk),
			UpdateExpression:          aws.String("SET expiresAt = :t"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberN{Value: at}},
		})
		cancel()
		if err != nil {
			return unavailable(err, "expire "+p.Version)
		}
	}
	return nil
}

func (s *DataSets) pointer(ctx context.Context, k opengov.Kind) (pointerItem, error) {
	var p pointerItem
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: key(setPK(k), "CURRENT"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return p, unavailable(err, "read "+string(k)+" pointer")
	}
	if out.Item == nil {
		return p, apperr.New(apperr.NotFound, "not_found", "no %s data set has been imported", k)
	}
	return p, unmarshal(out.Item, &p)
}

// Version returns the current version of kind.
func (s *DataSets) Version(ctx context.Context, k opengov.Kind) (string, error) {
	p, err := s.pointer(ctx, k)
	return p.Version, err
}

// Load returns the current version of kind: its records as a JSON array and its artifact.
func (s *DataSets) Load(ctx context.Context, k opengov.Kind) (opengov.Snapshot, error) {
	var snap opengov.Snapshot
	p, err := s.pointer(ctx, k)
	if err != nil {
		return snap, err
	}
	data := make([]byte, 0, p.Bytes)
	var artifact []byte
	var start map[string]types.AttributeValue
	n, ni := 0, 0
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := s.DB.Query(cctx, &dynamodb.QueryInput{
			TableName: &s.Table, KeyConditionExpression: aws.String("pk = :pk"), ConsistentRead: aws.Bool(true),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(versionPK(k, p.Version))}, ExclusiveStartKey: start,
		})
		cancel()
		if err != nil {
			return snap, unavailable(err, "load "+string(k))
		}
		for _, it := range out.Items {
			b, okB := it["data"].(*types.AttributeValueMemberB)
			sk, okS := it["sk"].(*types.AttributeValueMemberS)
			if !okB || !okS {
				return snap, fmt.Errorf("load %s %s: a chunk has no data", k, p.Version)
			}
			// Items come in sort-key order: CHUNK#… then INDEX#….
			if strings.HasPrefix(sk.Value, "INDEX#") {
				artifact = append(artifact, b.Value...)
				ni++
			} else {
				data = append(data, b.Value...)
				n++
			}
		}
		if start = out.LastEvaluatedKey; start == nil {
			break
		}
	}
	if n != p.Chunks || len(data) != p.Bytes || ni != p.IndexChunks || len(artifact) != p.IndexBytes {
		return snap, fmt.Errorf("load %s %s: %d+%d chunks of %d+%d bytes, the pointer says %d+%d of %d+%d", k, p.Version,
			n, ni, len(data), len(artifact), p.Chunks, p.IndexChunks, p.Bytes, p.IndexBytes)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return snap, fmt.Errorf("load %s %s: %w", k, p.Version, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return snap, fmt.Errorf("load %s %s: %w", k, p.Version, err)
	}
	return opengov.Snapshot{Version: p.Version, Records: raw, Artifact: artifact}, nil
}

// FAQAsks counts, per Asia/Shanghai month, how often each Q&A was the best answer to a search.
// It stores the Q&A id and a count, nothing about who asked or what they typed:
//
//	pk MONTH#<yyyy-mm>#<shard>  sk QA#<id>  asks (number)
//
// Counts spread over shards by Q&A id, so one month's searches never make one hot partition;
// the month's top list reads every shard (a few hundred small items in all).
type FAQAsks struct {
	DB    API
	Table string
}

// askShards spreads one month over this many partitions.
const askShards = 8

// countTTL keeps monthly counts for about two years.
const countTTL = 800 * 24 * time.Hour

func askPK(m calendar.Month, shard uint32) string {
	return fmt.Sprintf("MONTH#%s#%d", m, shard)
}

// Ask adds one to the count of a Q&A in month m.
func (s *FAQAsks) Ask(ctx context.Context, m calendar.Month, id string) error {
	h := fnv.New32a()
	h.Write([]byte(id)) // hash.Hash.Write never fails
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(askPK(m, h.Sum32()%askShards), "QA#"+id),
		UpdateExpression: aws.String("ADD asks :one SET expiresAt = if_not_exists(expiresAt, :ttl)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": &types.AttributeValueMemberN{Value: "1"},
			":ttl": &types.AttributeValueMemberN{Value: strconv.FormatInt(m.Start().Add(countTTL).Unix(), 10)},
		},
	})
	if err != nil {
		return unavailable(err, "count ask")
	}
	return nil
}

// Asked is a Q&A id and its count in a month.
type Asked struct {
	ID   string
	Asks int64
}

// Top returns the month's most asked Q&A ids, most asked first (ties by id), at most limit.
func (s *FAQAsks) Top(ctx context.Context, m calendar.Month, limit int) ([]Asked, error) {
	var all []Asked
	for shard := range uint32(askShards) {
		var start map[string]types.AttributeValue
		for {
			cctx, cancel := context.WithTimeout(ctx, callTimeout)
			out, err := s.DB.Query(cctx, &dynamodb.QueryInput{
				TableName: &s.Table, KeyConditionExpression: aws.String("pk = :pk"), ExclusiveStartKey: start,
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(askPK(m, shard))},
			})
			cancel()
			if err != nil {
				return nil, unavailable(err, "read asks")
			}
			for _, it := range out.Items {
				var a struct {
					SK   string `json:"sk"`
					Asks int64  `json:"asks"`
				}
				if err := unmarshal(it, &a); err != nil {
					return nil, err
				}
				all = append(all, Asked{ID: a.SK[len("QA#"):], Asks: a.Asks})
			}
			if start = out.LastEvaluatedKey; start == nil {
				break
			}
		}
	}
	slices.SortFunc(all, func(a, b Asked) int {
		if c := cmp.Compare(b.Asks, a.Asks); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return all[:min(limit, len(all))], nil
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on Linux
	}
	return b
}

func jsonEncode(w io.Writer, v any) error {
	if err := json.NewEncoder(w).Encode(v); err != nil {
		return fmt.Errorf("encode data set: %w", err)
	}
	return nil
}
