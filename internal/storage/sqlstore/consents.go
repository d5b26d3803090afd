package sqlstore

import (
	"context"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

const consentCols = `subject, client_id, approved, created_at, updated_at`

func scanConsent(r Row) (storage.Consent, error) {
	var c storage.Consent
	err := r.Scan(&c.Subject, &c.ClientID, approvedCol{&c.Approved}, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	return c, err
}

// getConsent reads a consent; lock is "" or Engine.ForUpdate.
func getConsent(ctx context.Context, q Querier, subject, clientID, lock string) (storage.Consent, error) {
	return scanConsent(q.QueryRow(ctx, `SELECT `+consentCols+` FROM consents WHERE subject = $1 AND client_id = $2`+lock,
		subject, clientID))
}

// GetConsent returns what subject approved for the client.
func (s *Store) GetConsent(ctx context.Context, subject, clientID string) (storage.Consent, error) {
	c, err := getConsent(ctx, s.e.Read, subject, clientID, "")
	if err != nil {
		return storage.Consent{}, s.errorf("get consent for client %q: %w", clientID, err)
	}
	return c, nil
}

// UpsertConsent merges c's approvals into the stored consent, resource by
// resource.
//
// The merge is done here, in Go, on a locked row: first an INSERT ... ON
// CONFLICT DO NOTHING makes sure the row exists (an empty one, stamped with
// c's times, if there was none), then a SELECT reads it for update. Two
// first approvals racing therefore serialise on the row like any other two,
// instead of both inserting and one overwriting the other.
func (s *Store) UpsertConsent(ctx context.Context, c storage.Consent) (storage.Consent, error) {
	var merged storage.Consent
	err := s.inTx(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO consents (`+consentCols+`) VALUES ($1, $2, '{}', $3, $4)
			ON CONFLICT (subject, client_id) DO NOTHING`,
			c.Subject, c.ClientID, Stamp(c.CreatedAt), Stamp(c.UpdatedAt))
		if err != nil {
			return err
		}
		old, err := getConsent(ctx, q, c.Subject, c.ClientID, s.e.ForUpdate)
		if err != nil {
			return err
		}
		merged = old
		merged.Approved = storage.MergeApproved(old.Approved, c.Approved)
		merged.UpdatedAt = utc(c.UpdatedAt)
		_, err = q.Exec(ctx, `UPDATE consents SET approved = $3, updated_at = $4
			WHERE subject = $1 AND client_id = $2`,
			c.Subject, c.ClientID, approved(merged.Approved), Stamp(c.UpdatedAt))
		return err
	})
	if err != nil {
		return storage.Consent{}, s.errorf("upsert consent for client %q: %w", c.ClientID, err)
	}
	return merged, nil
}

// DeleteConsent forgets what subject approved for the client.
func (s *Store) DeleteConsent(ctx context.Context, subject, clientID string) error {
	n, err := s.e.Write.Exec(ctx, `DELETE FROM consents WHERE subject = $1 AND client_id = $2`, subject, clientID)
	if err := deleted(n, err); err != nil {
		return s.errorf("delete consent for client %q: %w", clientID, err)
	}
	return nil
}

// ListConsents returns every consent of subject, by client ID.
func (s *Store) ListConsents(ctx context.Context, subject string) ([]storage.Consent, error) {
	rows, err := s.e.Read.Query(ctx,
		`SELECT `+consentCols+` FROM consents WHERE subject = $1 ORDER BY client_id`, subject)
	cs, err := collect(rows, err, scanConsent)
	if err != nil {
		return nil, s.errorf("list consents: %w", err)
	}
	return cs, nil
}
