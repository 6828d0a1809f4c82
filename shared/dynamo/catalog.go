package dynamo

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/apperr"
	"banban/shared/catalog"
	"banban/shared/ttlcache"
)

// Catalog keeps versions of the matter catalogue; readers follow a pointer to the current one:
//
//	pk CATALOG    sk CURRENT          {version}
//	pk V#<ver>    sk MATTER#<code>    a matter of that version
//	pk V#<ver>    sk BUNDLE#<code>    a bundle of that version
//
// An import writes a whole new version and then moves the pointer, so a reader never sees half a
// catalogue. Warm functions keep the current version in memory for CatalogCacheTTL.
type Catalog struct {
	DB    API
	Table string
	cache ttlcache.Cache[string, *catalog.Catalogue]
}

// CatalogCacheTTL is how long a warm function serves the catalogue it read.
const CatalogCacheTTL = time.Minute

// NewCatalog returns the catalogue store of table.
func NewCatalog(db API, table string, now func() time.Time) *Catalog {
	return &Catalog{DB: db, Table: table, cache: ttlcache.Cache[string, *catalog.Catalogue]{TTL: CatalogCacheTTL, Now: now}}
}

type catalogItem struct {
	PK     string          `json:"pk"`
	SK     string          `json:"sk"`
	Matter *catalog.Matter `json:"matter,omitempty"`
	Bundle *catalog.Bundle `json:"bundle,omitempty"`
}

var catalogPointer = key("CATALOG", "CURRENT")

// Import writes c as a new version and makes it current.
func (s *Catalog) Import(ctx context.Context, c catalog.Catalogue) error {
	pk := "V#" + c.Version
	items := make([]map[string]types.AttributeValue, 0, len(c.Matters)+len(c.Bundles))
	for i := range c.Matters {
		it, err := marshal(catalogItem{PK: pk, SK: "MATTER#" + c.Matters[i].Code, Matter: &c.Matters[i]})
		if err != nil {
			return err
		}
		items = append(items, it)
	}
	for i := range c.Bundles {
		it, err := marshal(catalogItem{PK: pk, SK: "BUNDLE#" + c.Bundles[i].Code, Bundle: &c.Bundles[i]})
		if err != nil {
			return err
		}
		items = append(items, it)
	}
	if err := batchPut(ctx, s.DB, s.Table, items); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: map[string]types.AttributeValue{
		"pk": str("CATALOG"), "sk": str("CURRENT"), "version": str(c.Version),
	}})
	if err != nil {
		return unavailable(err, "switch catalogue version")
	}
	s.cache.Forget()
	return nil
}

// Current returns the current catalogue, from memory while fresh.
func (s *Catalog) Current(ctx context.Context) (*catalog.Catalogue, error) {
	return s.cache.Get("current", func() (*catalog.Catalogue, error) { return s.read(ctx) })
}

func (s *Catalog) read(ctx context.Context) (*catalog.Catalogue, error) {
	var ptr struct {
		Version string `json:"version"`
	}
	if err := getItem(ctx, s.DB, s.Table, catalogPointer, "catalogue", &ptr); err != nil {
		return nil, err
	}
	c := &catalog.Catalogue{Version: ptr.Version}
	var start map[string]types.AttributeValue
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := s.DB.Query(cctx, &dynamodb.QueryInput{
			TableName: &s.Table, KeyConditionExpression: aws.String("pk = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("V#" + ptr.Version)},
			ExclusiveStartKey:         start,
		})
		cancel()
		if err != nil {
			return nil, unavailable(err, "read catalogue")
		}
		for _, item := range out.Items {
			var it catalogItem
			if err := unmarshal(item, &it); err != nil {
				return nil, err
			}
			switch {
			case it.Matter != nil:
				c.Matters = append(c.Matters, *it.Matter)
			case it.Bundle != nil:
				c.Bundles = append(c.Bundles, *it.Bundle)
			}
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		start = out.LastEvaluatedKey
	}
	if len(c.Matters) == 0 {
		return nil, errors.New("the current catalogue version has no matters")
	}
	return c, nil
}

// Matter returns a matter of the current catalogue.
func (s *Catalog) Matter(ctx context.Context, code string) (catalog.Matter, error) {
	c, err := s.Current(ctx)
	if err != nil {
		return catalog.Matter{}, err
	}
	for _, m := range c.Matters {
		if m.Code == code {
			return m, nil
		}
	}
	return catalog.Matter{}, apperr.New(apperr.NotFound, "not_found", "matter %s not found", code)
}

// Bundle returns a bundle of the current catalogue.
func (s *Catalog) Bundle(ctx context.Context, code string) (catalog.Bundle, error) {
	c, err := s.Current(ctx)
	if err != nil {
		return catalog.Bundle{}, err
	}
	for _, b := range c.Bundles {
		if b.Code == code {
			return b, nil
		}
	}
	return catalog.Bundle{}, apperr.New(apperr.NotFound, "not_found", "bundle %s not found", code)
}
