package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

const consentCols = `subject, client_id, approved, created_at, updated_at`

func scanConsent(r scanner) (storage.Consent, error) {
	var c storage.Consent
	err := r.Scan(&c.Subject, &c.ClientID, approvedCol{&c.Approved}, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	return c, err
}

func getConsent(ctx context.Context, q querier, subject, clientID string) (storage.Consent, error) {
	row := q.QueryRowContext(ctx, `SELECT `+consentCols+` FROM consents WHERE subject = ? AND client_id = ?`,
		subject, clientID)
	c, err := scanConsent(row)
	return c, notFound(err)
}

// GetConsent returns what subject approved for the client.
func (s *Store) GetConsent(ctx context.Context, subject, clientID string) (storage.Consent, error) {
	c, err := getConsent(ctx, s.read, subject, clientID)
	if err != nil {
		return storage.Consent{}, fmt.Errorf("sqlite: get consent for client %q: %w", clientID, err)
	}
	return c, nil
}

// UpsertConsent merges c's approvals into the stored consent, resource by
// resource.
func (s *Store) UpsertConsent(ctx context.Context, c storage.Consent) (storage.Consent, error) {
	var merged storage.Consent
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := getConsent(ctx, tx, c.Subject, c.ClientID)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			merged = c
			merged.Approved = storage.MergeApproved(nil, c.Approved)
		case err != nil:
			return err
		default:
			merged = old
			merged.Approved = storage.MergeApproved(old.Approved, c.Approved)
			merged.UpdatedAt = c.UpdatedAt
		}
		return putConsent(ctx, tx, merged)
	})
	if err != nil {
		return storage.Consent{}, fmt.Errorf("sqlite: upsert consent for client %q: %w", c.ClientID, err)
	}
	merged.CreatedAt, merged.UpdatedAt = utc(merged.CreatedAt), utc(merged.UpdatedAt)
	return merged, nil
}

func putConsent(ctx context.Context, tx *sql.Tx, c storage.Consent) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO consents (`+consentCols+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (subject, client_id) DO UPDATE SET approved = excluded.approved, updated_at = excluded.updated_at`,
		c.Subject, c.ClientID, approved(c.Approved), stamp(c.CreatedAt), stamp(c.UpdatedAt))
	return err
}

// DeleteConsent forgets what subject approved for the client.
func (s *Store) DeleteConsent(ctx context.Context, subject, clientID string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM consents WHERE subject = ? AND client_id = ?`, subject, clientID)
	if err := deleted(res, err); err != nil {
		return fmt.Errorf("sqlite: delete consent for client %q: %w", clientID, err)
	}
	return nil
}

// ListConsents returns every consent of subject, by client ID.
func (s *Store) ListConsents(ctx context.Context, subject string) ([]storage.Consent, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT `+consentCols+` FROM consents WHERE subject = ? ORDER BY client_id`, subject)
	cs, err := collect(rows, err, scanConsent)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list consents: %w", err)
	}
	return cs, nil
}
