package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/directory"
)

// Directory stores units, halls, windows and staff:
//
//	pk UNIT#<id>   sk UNIT
//	pk HALL#<id>   sk HALL
//	pk WINDOW#<id> sk WINDOW   gsi1pk HALL#<hall> gsi1sk WINDOW#<id>  (a hall's windows)
//	pk STAFF#<id>  sk STAFF
type Directory struct {
	DB    API
	Table string
}

// Window returns a service window.
func (s *Directory) Window(ctx context.Context, id string) (directory.Window, error) {
	var w directory.Window
	err := getItem(ctx, s.DB, s.Table, key("WINDOW#"+id, "WINDOW"), "window", &w)
	return w, err
}

// Staff returns a staff member.
func (s *Directory) Staff(ctx context.Context, id string) (directory.Staff, error) {
	var st directory.Staff
	err := getItem(ctx, s.DB, s.Table, key("STAFF#"+id, "STAFF"), "staff member", &st)
	return st, err
}

// Load writes a whole directory (the demo data, or an import) in batches of 25.
func (s *Directory) Load(ctx context.Context, d directory.Data) error {
	if err := d.Check(); err != nil {
		return fmt.Errorf("load directory: %w", err)
	}
	var items []map[string]types.AttributeValue
	add := func(pk, sk string, v any, extra map[string]string) error {
		item, err := marshal(v)
		if err != nil {
			return err
		}
		item["pk"], item["sk"] = str(pk), str(sk)
		for k, v := range extra {
			item[k] = str(v)
		}
		items = append(items, item)
		return nil
	}
	for _, u := range d.Units {
		if err := add("UNIT#"+u.ID, "UNIT", u, nil); err != nil {
			return err
		}
	}
	for _, h := range d.Halls {
		if err := add("HALL#"+h.ID, "HALL", h, nil); err != nil {
			return err
		}
	}
	for _, w := range d.Windows {
		if err := add("WINDOW#"+w.ID, "WINDOW", w, map[string]string{"gsi1pk": "HALL#" + w.HallID, "gsi1sk": "WINDOW#" + w.ID}); err != nil {
			return err
		}
	}
	for _, st := range d.Staff {
		if err := add("STAFF#"+st.ID, "STAFF", st, nil); err != nil {
			return err
		}
	}
	return batchPut(ctx, s.DB, s.Table, items)
}

// batchPut writes items 25 at a time, resending what DynamoDB leaves unprocessed.
func batchPut(ctx context.Context, db API, table string, items []map[string]types.AttributeValue) error {
	for start := 0; start < len(items); start += 25 {
		end := min(start+25, len(items))
		reqs := make([]types.WriteRequest, 0, end-start)
		for _, it := range items[start:end] {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		}
		pending := map[string][]types.WriteRequest{table: reqs}
		for tries := 0; len(pending) > 0; tries++ {
			if tries == 10 {
				return fmt.Errorf("batch put into %s: items still unprocessed after %d tries", table, tries)
			}
			cctx, cancel := context.WithTimeout(ctx, callTimeout)
			out, err := db.BatchWriteItem(cctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			cancel()
			if err != nil {
				return unavailable(err, "batch put into "+table)
			}
			pending = out.UnprocessedItems
		}
	}
	return nil
}
