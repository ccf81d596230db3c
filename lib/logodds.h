/* SPDX-License-Identifier: MIT */
/*
 * Scores of fuzzy hits (0..100) and the log-odds they are made from: the
 * score is the logistic of the log-odds, rounded (lib/score.c computes
 * the log-odds of one read; lib/second.c adds those of two reads).
 */
#ifndef HOTLIST_LOGODDS_H
#define HOTLIST_LOGODDS_H

#include <math.h>

/* round(100 / (1 + e^-x)), 0 or 100 past +-40. */
static inline unsigned hl_score_of_logodds(double x)
{
	if (x >= 40)
		return 100;
	if (x <= -40)
		return 0;
	return (unsigned)lrint(100.0 / (1.0 + exp(-x)));
}

/* The log-odds of a whole score, with half a point added either side (so
 * that 0 and 100 stay finite). */
static inline double hl_logodds_of_score(unsigned score)
{
	return log(((double)score + 0.5) / (100.5 - (double)score));
}

#endif
