package doctor

import (
	"fmt"
	"slices"
	"time"
)

// Clock skew beyond these draws a warning, then a problem. Date has whole
// seconds, and an answer takes a moment to arrive, so a few seconds mean
// nothing; minutes break the checks of time-limited tokens (client
// assertions are good for minutes, DPoP proofs for less).
const (
	skewWarn    = 30 * time.Second
	skewProblem = 2 * time.Minute
)

const clockFix = "Synchronize the clocks with NTP (timedatectl set-ntp true, or chrony). Drawbridge checks the times in tokens " +
	"others sign (client assertions with private_key_jwt, as ChatGPT uses; the identity provider's ID tokens) and backends check the " +
	"times in tokens Drawbridge signs: with a clock minutes off, sign-in and calls fail as 'expired' or 'not yet valid'. If this " +
	"machine's clock is the wrong one, fix that first."

// checkClock compares this machine's clock with the Date headers of the
// answers (RFC 9110 §6.6.1: the clock of whatever answered, which may be a
// proxy in front) and with Drawbridge's own clock, from the test stream.
func (r *run) checkClock() {
	res := r.result("clock")
	if res == nil {
		return
	}
	r.c.mu.Lock()
	dates := slices.Clone(r.c.dates)
	r.c.mu.Unlock()
	if len(dates) == 0 && r.gatewayTime == nil {
		res.skip("no answer carried a Date header")
		return
	}
	if len(dates) > 0 {
		// The median: one odd answer (a cached error page) does not decide.
		skews := make([]time.Duration, len(dates))
		for i, d := range dates {
			// Date drops the fraction of a second, so compare whole seconds.
			skews[i] = d.date.Sub(d.local.Truncate(time.Second))
		}
		slices.Sort(skews)
		judgeSkew(res, "the Date header", skews[len(skews)/2])
	}
	if g := r.gatewayTime; g != nil {
		judgeSkew(res, "Drawbridge's own clock (from the test stream)", g.date.Sub(g.local))
	}
}

func judgeSkew(res *result, whose string, skew time.Duration) {
	off := skew.Abs().Round(time.Second)
	how := "ahead of"
	if skew < 0 {
		how = "behind"
	}
	switch {
	case off > skewProblem:
		res.problem(fmt.Sprintf("%s is %s %s this machine's clock", whose, off, how), clockFix)
	case off > skewWarn:
		res.warn(fmt.Sprintf("%s is %s %s this machine's clock", whose, off, how), clockFix)
	default:
		res.ok("%s agrees with this machine's clock (within %s)", whose, skewWarn)
	}
}
