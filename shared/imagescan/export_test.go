package imagescan

// Fresh is a filter for another layer set with this one's extractors
// (building them is the slow part of NewFilter): no budget spent, no
// problems yet.
func (f *Filter) Fresh() *Filter {
	return &Filter{keep: f.keep, opt: f.opt, budget: f.opt.MaxKeptBytes}
}
