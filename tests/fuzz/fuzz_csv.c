/*
 * fuzz_csv: the CSV reader and the address and name checks it feeds, on
 * arbitrary bytes.
 */
#include <stdint.h>

#include "address.h"
#include "csv.h"
#include "fuzz.h"
#include "names.h"
#include "sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_reader r;
	struct csv_record rec;
	struct sbuf why = SBUF_INIT;

	csv_init(&r, (const char *)data, size);
	csv_record_init(&rec);
	while (csv_next(&r, &rec, &why) != 0) {
		if (rec.n > 0)
			address_check(rec.field[0].buf, &why);
		if (rec.n > 1)
			display_name_check(rec.field[1].buf, rec.field[1].len, &why);
		sbuf_reset(&why);
	}
	csv_record_release(&rec);
	sbuf_release(&why);
	return 0;
}
