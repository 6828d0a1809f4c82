package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"banban/shared/apperr"
	"banban/shared/calendar"
	"banban/shared/directory"
	"banban/shared/ttlcache"
)

// Directory stores units, halls, windows and staff:
//
//	pk UNIT#<id>   sk UNIT
//	pk HALL#<id>   sk HALL
//	pk WINDOW#<id> sk WINDOW   gsi1pk HALL#<hall> gsi1sk WINDOW#<id>  (a hall's windows)
//	                           gsi2pk UNIT#<unit> gsi2sk WINDOW#<id>  (a unit's windows, in any hall)
//	pk UNIT#, HALL#            gsi2pk DIRECTORY   gsi2sk UNIT#<id>, HALL#<id>  (every unit and hall)
//	pk STAFF#                  gsi2pk UNIT#<unit> gsi2sk STAFF#<id>   (a unit's staff)
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

// Unit returns a stationed unit.
func (s *Directory) Unit(ctx context.Context, id string) (directory.Unit, error) {
	var u directory.Unit
	err := getItem(ctx, s.DB, s.Table, key("UNIT#"+id, "UNIT"), "unit", &u)
	return u, err
}

// Placement reads the directory's records of the places a staff account names (see
// directory.Staff.Place): its unit, hall and window, and whether the unit is stationed in the hall.
func (s *Directory) Placement(ctx context.Context, st directory.Staff) (directory.Placement, error) {
	var pl directory.Placement
	var err error
	if st.WindowID != "" {
		if pl.Window, err = found(s.Window(ctx, st.WindowID)); err != nil {
			return pl, err
		}
	}
	if st.UnitID != "" {
		if pl.Unit, err = found(s.Unit(ctx, st.UnitID)); err != nil {
			return pl, err
		}
	}
	if st.HallID != "" {
		if pl.Hall, err = found(s.Hall(ctx, st.HallID)); err != nil {
			return pl, err
		}
	}
	if pl.Unit != nil && pl.Hall != nil {
		windows, err := s.WindowsOfUnit(ctx, st.UnitID)
		if err != nil {
			return pl, err
		}
		pl.UnitInHall = slices.ContainsFunc(windows, func(w directory.Window) bool { return w.HallID == st.HallID })
	}
	return pl, nil
}

// found turns a read into the record, nil when it does not exist, or the error of a failed read.
func found[T any](v T, err error) (*T, error) {
	switch {
	case err == nil:
		return &v, nil
	case errNotFound(err):
		return nil, nil
	}
	return nil, err
}

// Hall returns a service hall.
func (s *Directory) Hall(ctx context.Context, id string) (directory.Hall, error) {
	var h directory.Hall
	err := getItem(ctx, s.DB, s.Table, key("HALL#"+id, "HALL"), "hall", &h)
	return h, err
}

// HallOfDistrict returns the hall that receives requests for a district: the district's own hall,
// or the city hall where the district has none.
func (s *Directory) HallOfDistrict(ctx context.Context, district string) (directory.Hall, error) {
	for _, d := range []string{district, "city"} {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		out, err := s.DB.Query(cctx, &dynamodb.QueryInput{
			TableName: &s.Table, IndexName: aws.String("gsi1"),
			KeyConditionExpression:    aws.String("gsi1pk = :d"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":d": str("DISTRICT#" + d)},
			Limit:                     aws.Int32(1),
		})
		cancel()
		if err != nil {
			return directory.Hall{}, unavailable(err, "find hall of district")
		}
		if len(out.Items) == 1 {
			var h directory.Hall
			return h, unmarshal(out.Items[0], &h)
		}
	}
	return directory.Hall{}, apperr.New(apperr.NotFound, "not_found", "no hall receives requests for district %s", district)
}

// calendarKey holds one year's working-day arrangement.
func calendarKey(year int) map[string]types.AttributeValue {
	return key(fmt.Sprintf("CALENDAR#%d", year), "CALENDAR")
}

// PutCalendarYear stores a year's official holiday arrangement (an administrator's update; no
// code change).
func (s *Directory) PutCalendarYear(ctx context.Context, y calendar.Year) error {
	if err := y.Check(); err != nil {
		return apperr.Wrap(err, apperr.Invalid, "invalid_calendar", "%s", err.Error())
	}
	item, err := marshal(y)
	if err != nil {
		return err
	}
	for k, v := range calendarKey(y.Year) {
		item[k] = v
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: item}); err != nil {
		return unavailable(err, "put calendar")
	}
	return nil
}

// Calendar builds the working-day calendar from the stored years among years; a year not stored
// counts weekends only.
func (s *Directory) Calendar(ctx context.Context, years ...int) (*calendar.Calendar, error) {
	var loaded []calendar.Year
	for _, year := range years {
		var y calendar.Year
		err := getItem(ctx, s.DB, s.Table, calendarKey(year), "calendar", &y)
		if errNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		loaded = append(loaded, y)
	}
	return calendar.New(loaded...)
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
		if err := add("UNIT#"+u.ID, "UNIT", u, map[string]string{"gsi2pk": "DIRECTORY", "gsi2sk": "UNIT#" + u.ID}); err != nil {
			return err
		}
	}
	for _, h := range d.Halls {
		if err := add("HALL#"+h.ID, "HALL", h, map[string]string{"gsi1pk": "DISTRICT#" + h.District, "gsi1sk": "HALL#" + h.ID,
			"gsi2pk": "DIRECTORY", "gsi2sk": "HALL#" + h.ID}); err != nil {
			return err
		}
	}
	for _, w := range d.Windows {
		if err := add("WINDOW#"+w.ID, "WINDOW", w, map[string]string{"gsi1pk": "HALL#" + w.HallID, "gsi1sk": "WINDOW#" + w.ID,
			"gsi2pk": "UNIT#" + w.UnitID, "gsi2sk": "WINDOW#" + w.ID}); err != nil {
			return err
		}
	}
	for _, st := range d.Staff {
		var byUnit map[string]string
		if st.UnitID != "" {
			byUnit = map[string]string{"gsi2pk": "UNIT#" + st.UnitID, "gsi2sk": "STAFF#" + st.ID}
		}
		if err := add("STAFF#"+st.ID, "STAFF", st, byUnit); err != nil {
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

// PutStaff registers or updates a staff member.
func (s *Directory) PutStaff(ctx context.Context, st directory.Staff) error {
	item, err := marshal(st)
	if err != nil {
		return err
	}
	item["pk"], item["sk"] = str("STAFF#"+st.ID), str("STAFF")
	if st.UnitID != "" {
		item["gsi2pk"], item["gsi2sk"] = str("UNIT#"+st.UnitID), str("STAFF#"+st.ID)
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: item}); err != nil {
		return unavailable(err, "put staff")
	}
	return nil
}

// PutBindingCode stores the hash of a one-time code that binds a WeChat identity to a staff
// member, until expires (TTL removes it later; an expired code no longer binds).
func (s *Directory) PutBindingCode(ctx context.Context, codeHash, staffID string, expires time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: map[string]types.AttributeValue{
		"pk": str("BINDCODE#" + codeHash), "sk": str("BINDCODE"), "staffId": str(staffID),
		"expiresAt": num(expires.Unix()),
	}})
	if err != nil {
		return unavailable(err, "put binding code")
	}
	return nil
}

// ConsumeBindingCode deletes a live binding code and returns its staff member's id: a code binds
// once.
func (s *Directory) ConsumeBindingCode(ctx context.Context, codeHash string, now time.Time) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.Table, Key: key("BINDCODE#"+codeHash, "BINDCODE"),
		ConditionExpression:       aws.String("expiresAt > :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": num(now.Unix())},
		ReturnValues:              types.ReturnValueAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return "", apperr.New(apperr.Unauthenticated, "invalid_binding_code", "the binding code is unknown, used or expired")
	}
	if err != nil {
		return "", unavailable(err, "consume binding code")
	}
	id, ok := out.Attributes["staffId"].(*types.AttributeValueMemberS)
	if !ok {
		return "", errors.New("binding code without staff id")
	}
	return id.Value, nil
}

// Bind records that a WeChat identity (by its pseudonymous subject) is a staff member.
func (s *Directory) Bind(ctx context.Context, subject, staffID string) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: map[string]types.AttributeValue{
		"pk": str("IDENTITY#" + subject), "sk": str("IDENTITY"), "staffId": str(staffID),
	}})
	if err != nil {
		return unavailable(err, "bind identity")
	}
	return nil
}

// StaffOf returns the staff member a WeChat identity is bound to, if any.
func (s *Directory) StaffOf(ctx context.Context, subject string) (directory.Staff, bool, error) {
	var b struct {
		StaffID string `json:"staffId"`
	}
	err := getItem(ctx, s.DB, s.Table, key("IDENTITY#"+subject, "IDENTITY"), "identity", &b)
	if errNotFound(err) {
		return directory.Staff{}, false, nil
	}
	if err != nil {
		return directory.Staff{}, false, err
	}
	st, err := s.Staff(ctx, b.StaffID)
	if errNotFound(err) {
		return directory.Staff{}, false, nil // the staff member was removed: a citizen again
	}
	return st, err == nil, err
}

// CalendarTTL is how long a warm function keeps the working-day calendar: an administrator's
// update of next year's holidays takes effect within it.
const CalendarTTL = time.Hour

// Calendars returns the working-day calendar of the current year and those either side (due
// times and overdue days cross New Year), read at most once per CalendarTTL.
func (s *Directory) Calendars(now func() time.Time) func(context.Context) (*calendar.Calendar, error) {
	cache := &ttlcache.Cache[int, *calendar.Calendar]{TTL: CalendarTTL, Now: now}
	return func(ctx context.Context) (*calendar.Calendar, error) {
		year := calendar.DateOf(now()).Year
		return cache.Get(year, func() (*calendar.Calendar, error) { return s.Calendar(ctx, year-1, year, year+1) })
	}
}

// WindowsOfHall lists the service windows of a hall.
func (s *Directory) WindowsOfHall(ctx context.Context, hallID string) ([]directory.Window, error) {
	return s.windows(ctx, "gsi1", "HALL#"+hallID)
}

// WindowsOfUnit lists the service windows of a unit, in every hall it is stationed in.
func (s *Directory) WindowsOfUnit(ctx context.Context, unitID string) ([]directory.Window, error) {
	return s.windows(ctx, "gsi2", "UNIT#"+unitID)
}

func (s *Directory) windows(ctx context.Context, index, owner string) ([]directory.Window, error) {
	var out []directory.Window
	err := s.each(ctx, index, owner, "WINDOW#", func(item map[string]types.AttributeValue) error {
		var w directory.Window
		if err := unmarshal(item, &w); err != nil {
			return err
		}
		out = append(out, w)
		return nil
	})
	return out, err
}

// each calls fn with every item under an index key whose sort key begins with prefix.
func (s *Directory) each(ctx context.Context, index, owner, prefix string, fn func(map[string]types.AttributeValue) error) error {
	var start map[string]types.AttributeValue
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		in := &dynamodb.QueryInput{TableName: &s.Table, IndexName: aws.String(index),
			KeyConditionExpression:    aws.String("#pk = :o"),
			ExpressionAttributeNames:  map[string]string{"#pk": index + "pk"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":o": str(owner)},
			ExclusiveStartKey:         start}
		if prefix != "" {
			in.KeyConditionExpression = aws.String("#pk = :o AND begins_with(#sk, :p)")
			in.ExpressionAttributeNames["#sk"] = index + "sk"
			in.ExpressionAttributeValues[":p"] = str(prefix)
		}
		res, err := s.DB.Query(cctx, in)
		cancel()
		if err != nil {
			return unavailable(err, "list "+prefix+" of "+owner)
		}
		for _, item := range res.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
		if res.LastEvaluatedKey == nil {
			return nil
		}
		start = res.LastEvaluatedKey
	}
}

// All reads the whole directory: every unit and hall, and each unit's windows and staff — one
// query for the units and halls and one per unit, never a scan.
func (s *Directory) All(ctx context.Context) (directory.Data, error) {
	var d directory.Data
	err := s.each(ctx, "gsi2", "DIRECTORY", "", func(item map[string]types.AttributeValue) error {
		switch sk := item["gsi2sk"].(*types.AttributeValueMemberS).Value; {
		case strings.HasPrefix(sk, "UNIT#"):
			var u directory.Unit
			if err := unmarshal(item, &u); err != nil {
				return err
			}
			d.Units = append(d.Units, u)
		case strings.HasPrefix(sk, "HALL#"):
			var h directory.Hall
			if err := unmarshal(item, &h); err != nil {
				return err
			}
			d.Halls = append(d.Halls, h)
		}
		return nil
	})
	if err != nil {
		return directory.Data{}, err
	}
	for _, u := range d.Units {
		err := s.each(ctx, "gsi2", "UNIT#"+u.ID, "", func(item map[string]types.AttributeValue) error {
			switch sk := item["gsi2sk"].(*types.AttributeValueMemberS).Value; {
			case strings.HasPrefix(sk, "WINDOW#"):
				var w directory.Window
				if err := unmarshal(item, &w); err != nil {
					return err
				}
				d.Windows = append(d.Windows, w)
			case strings.HasPrefix(sk, "STAFF#"):
				var st directory.Staff
				if err := unmarshal(item, &st); err != nil {
					return err
				}
				d.Staff = append(d.Staff, st)
			}
			return nil
		})
		if err != nil {
			return directory.Data{}, err
		}
	}
	return d, nil
}
