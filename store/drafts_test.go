package store

import (
	"context"
	"testing"
)

// TestDraftServerQueue: saves of a draft coalesce into one pending upload
// whose save count grows; finishing an upload read before a later save
// keeps it queued; deleting the draft replaces the upload by a removal of
// the server copy, by the draft's Message-ID.
func TestDraftServerQueue(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	d := &Draft{Account: "a", Subject: "one"}
	id, err := db.SaveDraft(ctx, d, true)
	if err != nil {
		t.Fatal(err)
	}
	d.ID = id
	acts, err := db.DraftActions(ctx, "a")
	if err != nil || len(acts) != 1 || acts[0].Kind != ActionDraftSave || acts[0].DraftID != id || acts[0].Gen != 1 {
		t.Fatalf("after one save: %+v %v", acts, err)
	}
	read := acts[0]
	d.Subject = "two"
	if _, err := db.SaveDraft(ctx, d, false); err != nil {
		t.Fatal(err)
	}
	if err := db.DraftActionDone(ctx, read.ActionID, read.Gen); err != nil {
		t.Fatal(err)
	}
	acts, _ = db.DraftActions(ctx, "a")
	if len(acts) != 1 || acts[0].Gen != 2 {
		t.Fatalf("a save after the upload was read: %+v", acts)
	}
	if err := db.DraftActionDone(ctx, acts[0].ActionID, acts[0].Gen); err != nil {
		t.Fatal(err)
	}
	if acts, _ = db.DraftActions(ctx, "a"); len(acts) != 0 {
		t.Fatalf("done: %+v", acts)
	}
	d.Subject = "three"
	db.SaveDraft(ctx, d, false)
	saved, _ := db.Draft(ctx, id)
	if err := db.DeleteDraft(ctx, id); err != nil {
		t.Fatal(err)
	}
	acts, _ = db.DraftActions(ctx, "a")
	if len(acts) != 1 || acts[0].Kind != ActionDraftDelete || acts[0].MessageID != DraftMessageID(saved) {
		t.Fatalf("after delete: %+v (want removal of %s)", acts, DraftMessageID(saved))
	}
	if pa, _ := db.PendingActions(ctx, "a"); len(pa) != 0 {
		t.Fatalf("listed as message actions: %+v", pa)
	}
}
