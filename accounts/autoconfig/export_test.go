package autoconfig

// WithBudgetEnd returns a copy of opts whose budget also ends when end is
// closed, so that a test decides when the budget runs out instead of a
// clock.
func WithBudgetEnd(opts *Options, end <-chan struct{}) *Options {
	o := *opts
	o.budgetEnd = end
	return &o
}
