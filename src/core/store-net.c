/* Network state: address leases and published ports (see store.h).  Part
 * of the store module, the only code that speaks SQL. */
#include "core/store-internal.h"

const char pd_store_migration_net[] =
	"CREATE TABLE leases ("
	" network TEXT NOT NULL,"
	" ip TEXT NOT NULL,"
	" container_id TEXT NOT NULL,"
	" created_ns INTEGER NOT NULL,"
	" PRIMARY KEY (network, ip));"
	"CREATE TABLE ports ("
	" proto TEXT NOT NULL,"
	" host_ip TEXT NOT NULL,"
	" host_port INTEGER NOT NULL,"
	" container_id TEXT NOT NULL,"
	" container_port INTEGER NOT NULL,"
	" PRIMARY KEY (proto, host_ip, host_port));";
