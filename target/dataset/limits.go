package dataset

// Limits bound what Parse accepts and what Decode will allocate. A zero or
// negative field means the value in DefaultLimits, so a zero Limits is safe and
// no field can switch a limit off.
type Limits struct {
	// MaxBytes bounds the whole CSV upload, byte order mark included.
	MaxBytes int64
	// MaxRows bounds the data rows (the header is not counted).
	MaxRows int
	// MaxColumns bounds the fields of the header.
	MaxColumns int
	// MaxCellBytes bounds one field after unquoting, header names included.
	MaxCellBytes int
}

// DefaultLimits are the limits of the reference target: an 8 MiB upload of at
// most 100,000 rows and 64 columns.
var DefaultLimits = Limits{MaxBytes: 8 << 20, MaxRows: 100_000, MaxColumns: 64, MaxCellBytes: 1024}

// orDefault returns l with every unset field taken from DefaultLimits.
func (l Limits) orDefault() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultLimits.MaxRows
	}
	if l.MaxColumns <= 0 {
		l.MaxColumns = DefaultLimits.MaxColumns
	}
	if l.MaxCellBytes <= 0 {
		l.MaxCellBytes = DefaultLimits.MaxCellBytes
	}
	return l
}
