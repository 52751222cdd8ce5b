#!/bin/sh
# demo-seed.sh [CONFIG] -- fills an empty store with the demo programme:
# the three change lines, an all-projects group, a few projects linked to
# their lines, example members and moderators.  It is an ordinary list of
# mlistctl commands, so it doubles as an example of how groups are set up.
# On a store that has groups already it does nothing.  The store must be
# there: `mlistctl init` (or mlistd's start-up) makes it, mlistctl never
# does otherwise.
#
# MLISTCTL names the mlistctl to use (default: mlistctl on the PATH).
set -eu

conf=${1:-conf/mlistd.conf}
ctl() { "${MLISTCTL:-mlistctl}" -c "$conf" "$@" >/dev/null; }

if [ "$("${MLISTCTL:-mlistctl}" -c "$conf" group list --json)" != "[]" ]; then
	echo "demo-seed: the store has groups already; leaving it as it is"
	exit 0
fi

# The three thematic change lines of the programme.
ctl group add veilig-dichtbij --kind change-line --title "Veilig dichtbij"
ctl group add levensloop-centraal --kind change-line --title "Levensloop centraal"
ctl group add vakmanschap-voorop --kind change-line --title "Vakmanschap voorop"

# Everyone in the programme.
ctl group add koersenkansen --kind general --title "Koers en Kansen: alle projecten"

# A few of the projects, each under its change line.
ctl group add pga-jeugd-amersfoort --kind project --title "PGA Jeugd Amersfoort"
ctl group link pga-jeugd-amersfoort levensloop-centraal
ctl group add proeftuin-ruwaard-oss --kind project --title "Proeftuin Ruwaard Oss"
ctl group link proeftuin-ruwaard-oss veilig-dichtbij
ctl group add levensverhaal-podcast --kind project --title "Levensverhaal-podcast"
ctl group link levensverhaal-podcast levensloop-centraal
ctl group add leerwerkplaats-vught --kind project --title "Leerwerkplaats Vught"
ctl group link leerwerkplaats-vught vakmanschap-voorop

# Project leaders, each in their project and in the general group.
ctl member add pga-jeugd-amersfoort anna.jansen@example.org --name "Anna Jansen"
ctl member add proeftuin-ruwaard-oss pieter.devries@example.org --name "Pieter de Vries"
ctl member add levensverhaal-podcast fatima.elamrani@example.org --name "Fatima El Amrani"
ctl member add leerwerkplaats-vught joost.bakker@example.org --name "Joost Bakker"
for who in anna.jansen pieter.devries fatima.elamrani joost.bakker; do
	ctl member add koersenkansen "$who@example.org"
done

# A programme adviser follows the whole change line Levensloop centraal.
ctl member add levensloop-centraal lotte.visser@example.org --name "Lotte Visser" --follow-line

# The programme office moderates every group: someone is told of each post that waits.
for group in koersenkansen veilig-dichtbij levensloop-centraal vakmanschap-voorop pga-jeugd-amersfoort \
	proeftuin-ruwaard-oss levensverhaal-podcast leerwerkplaats-vught; do
	ctl moderator add "$group" programmabureau@example.org
done

echo "demo-seed: added the demo change lines, projects and members"
