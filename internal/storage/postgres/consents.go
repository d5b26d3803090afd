package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

const consentCols = `subject, client_id, approved, created_at, updated_at`

func scanConsent(r scanner) (storage.Consent, error) {
	var c storage.Consent
	var raw []byte
	err := r.Scan(&c.Subject, &c.ClientID, &raw, (*nanoTime)(&c.CreatedAt), (*nanoTime)(&c.UpdatedAt))
	if err != nil {
		return c, err
	}
	c.Approved, err = decodeApproved(raw)
	return c, err
}

func getConsent(ctx context.Context, q querier, subject, clientID, lock string) (storage.Consent, error) {
	row := q.QueryRow(ctx, `SELECT `+consentCols+` FROM consents WHERE subject = $1 AND client_id = $2`+lock,
		subject, clientID)
	c, err := scanConsent(row)
	return c, notFound(err)
}

// GetConsent returns what subject approved for the client.
func (s *Store) GetConsent(ctx context.Context, subject, clientID string) (storage.Consent, error) {
	c, err := getConsent(ctx, s.pool, subject, clientID, "")
	if err != nil {
		return storage.Consent{}, fmt.Errorf("postgres: get consent for client %q: %w", clientID, err)
	}
	return c, nil
}

// UpsertConsent merges c's approvals into the stored consent, resource by
// resource.
//
// The merge is done here, in Go, on a locked row: first an INSERT ... ON
// CONFLICT DO NOTHING makes sure the row exists (an empty one, stamped with
// c's times, if there was none), then SELECT ... FOR UPDATE reads and locks
// it. Two first approvals racing therefore serialise on the row like any
// other two, instead of both inserting and one overwriting the other.
func (s *Store) UpsertConsent(ctx context.Context, c storage.Consent) (storage.Consent, error) {
	var merged storage.Consent
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO consents (`+consentCols+`) VALUES ($1, $2, '{}', $3, $4)
			ON CONFLICT (subject, client_id) DO NOTHING`,
			c.Subject, c.ClientID, stamp(c.CreatedAt), stamp(c.UpdatedAt))
		if err != nil {
			return err
		}
		old, err := getConsent(ctx, tx, c.Subject, c.ClientID, " FOR UPDATE")
		if err != nil {
			return err
		}
		merged = old
		merged.Approved = storage.MergeApproved(old.Approved, c.Approved)
		merged.UpdatedAt = utc(c.UpdatedAt)
		_, err = tx.Exec(ctx, `UPDATE consents SET approved = $3, updated_at = $4
			WHERE subject = $1 AND client_id = $2`,
			c.Subject, c.ClientID, approved(merged.Approved), stamp(c.UpdatedAt))
		return err
	})
	if err != nil {
		return storage.Consent{}, fmt.Errorf("postgres: upsert consent for client %q: %w", c.ClientID, err)
	}
	return merged, nil
}

// DeleteConsent forgets what subject approved for the client.
func (s *Store) DeleteConsent(ctx context.Context, subject, clientID string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM consents WHERE subject = $1 AND client_id = $2`, subject, clientID)
	if err := deleted(tag, err); err != nil {
		return fmt.Errorf("postgres: delete consent for client %q: %w", clientID, err)
	}
	return nil
}

// ListConsents returns every consent of subject, by client ID.
func (s *Store) ListConsents(ctx context.Context, subject string) ([]storage.Consent, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT `+consentCols+` FROM consents WHERE subject = $1 ORDER BY client_id`, subject)
	cs, err := collect(rows, err, scanConsent)
	if err != nil {
		return nil, fmt.Errorf("postgres: list consents: %w", err)
	}
	return cs, nil
}
