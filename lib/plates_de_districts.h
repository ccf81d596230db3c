/* SPDX-License-Identifier: MIT */
/*
 * German district codes (Unterscheidungszeichen), the fact list that
 * lib/plates.c needs to split a normalised German plate. Data only.
 *
 * Source: Octoate/KfzKennzeichen, the district list as shipped in
 * ../shared/data/formats/de_district_codes.csv; MIT licence,
 * Copyright (c) 2014 Tim Riemann. Generated once from that file: codes
 * only (names dropped), umlauts folded as hotlist__normalise_plate folds
 * them (Ä->A, Ö->O, Ü->U), duplicates removed, sorted in byte order so
 * that a binary search works. 788 rows in the source, 48 of them with an
 * umlaut; 773 distinct codes after folding.
 *
 * The source's licence, which covers this list:
 *
 * The MIT License (MIT)
 *
 * Copyright (c) 2014 Tim Riemann
 *
 * Permission is hereby granted, free of charge, to any person obtaining a copy
 * of this software and associated documentation files (the "Software"), to deal
 * in the Software without restriction, including without limitation the rights
 * to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 * copies of the Software, and to permit persons to whom the Software is
 * furnished to do so, subject to the following conditions:
 *
 * The above copyright notice and this permission notice shall be included in all
 * copies or substantial portions of the Software.
 *
 * THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 * IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 * FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 * AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 * LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 * OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 * SOFTWARE.
 */
#ifndef HOTLIST_PLATES_DE_DISTRICTS_H
#define HOTLIST_PLATES_DE_DISTRICTS_H

#include <stdint.h>

#define HL_DE_DISTRICTS_N 773

/* clang-format off */
static const char hl_de_districts[HL_DE_DISTRICTS_N][4] = {
	"A", "AA", "AB", "ABG", "AC", "AE", "AH", "AIB", "AIC", "AK", "AL", "ALF", "ALS",
	"ALZ", "AM", "AN", "ANA", "ANG", "ANK", "AO", "AP", "APD", "AR", "ARN", "ART", "AS",
	"ASD", "ASL", "ASZ", "AT", "AU", "AUR", "AW", "AZ", "AZE", "B", "BA", "BAD", "BAR",
	"BB", "BBG", "BBL", "BC", "BCH", "BD", "BE", "BED", "BEI", "BEL", "BER", "BF", "BG",
	"BGD", "BGL", "BH", "BI", "BID", "BIN", "BIR", "BIT", "BIW", "BK", "BKS", "BL", "BLB",
	"BLK", "BM", "BN", "BNA", "BO", "BOG", "BOH", "BOR", "BOT", "BP", "BR", "BRA", "BRB",
	"BRG", "BRI", "BRK", "BRL", "BRV", "BS", "BSB", "BSK", "BT", "BTF", "BU", "BUD", "BUL",
	"BUR", "BUS", "BUZ", "BW", "BWL", "BYL", "BZ", "BZA", "C", "CA", "CAS", "CB", "CE",
	"CHA", "CLP", "CLZ", "CO", "COC", "COE", "CR", "CUX", "CW", "D", "DA", "DAH", "DAN",
	"DAU", "DB", "DBR", "DD", "DE", "DEG", "DEL", "DGF", "DH", "DI", "DIL", "DIN", "DIZ",
	"DKB", "DL", "DLG", "DM", "DN", "DO", "DON", "DS", "DT", "DU", "DUD", "DUW", "DW",
	"DZ", "E", "EB", "EBE", "EBN", "EBS", "ECK", "ED", "EE", "EF", "EG", "EH", "EHI", "EI",
	"EIC", "EIH", "EIL", "EIN", "EIS", "EL", "EM", "EMD", "EMS", "EN", "ER", "ERB", "ERH",
	"ERK", "ES", "ESA", "ESB", "ESW", "EU", "EUT", "EW", "F", "FAL", "FB", "FD", "FDB",
	"FDS", "FEU", "FF", "FFB", "FG", "FH", "FI", "FKB", "FL", "FLO", "FN", "FO", "FOR",
	"FR", "FRG", "FRI", "FRW", "FS", "FT", "FTL", "FU", "FUS", "FW", "FZ", "G", "GA",
	"GAN", "GAP", "GC", "GD", "GDB", "GE", "GEL", "GEM", "GEO", "GER", "GF", "GG", "GHA",
	"GHC", "GI", "GK", "GL", "GLA", "GM", "GMN", "GN", "GNT", "GO", "GOA", "GOH", "GP",
	"GR", "GRA", "GRH", "GRI", "GRM", "GRS", "GRZ", "GS", "GT", "GTH", "GU", "GUB", "GUN",
	"GV", "GVM", "GW", "GZ", "H", "HA", "HAB", "HAL", "HAM", "HAS", "HB", "HBN", "HBS",
	"HC", "HCH", "HD", "HDH", "HDL", "HE", "HEB", "HEF", "HEI", "HEL", "HER", "HET", "HF",
	"HG", "HGN", "HGW", "HH", "HHM", "HI", "HIG", "HIP", "HL", "HM", "HMU", "HN", "HO",
	"HOG", "HOH", "HOL", "HOM", "HOR", "HOS", "HOT", "HP", "HR", "HRO", "HS", "HSK", "HST",
	"HU", "HUN", "HUS", "HV", "HVL", "HW", "HWI", "HX", "HY", "HZ", "IGB", "IK", "IL",
	"ILL", "IN", "IS", "IZ", "J", "JB", "JE", "JEV", "JL", "JUL", "K", "KA", "KAR", "KB",
	"KC", "KE", "KEH", "KEL", "KEM", "KF", "KG", "KH", "KI", "KIB", "KK", "KL", "KLE",
	"KLZ", "KM", "KN", "KO", "KON", "KOT", "KOZ", "KR", "KRU", "KS", "KT", "KU", "KUN",
	"KUS", "KW", "KY", "KYF", "L", "LA", "LAN", "LAT", "LAU", "LB", "LBS", "LBZ", "LC",
	"LD", "LDK", "LDS", "LE", "LEO", "LER", "LEV", "LF", "LG", "LH", "LI", "LIB", "LIF",
	"LIN", "LIP", "LK", "LL", "LM", "LN", "LO", "LOB", "LOH", "LOS", "LP", "LR", "LS",
	"LSA", "LSN", "LSZ", "LU", "LUD", "LUK", "LUN", "LWL", "M", "MA", "MAB", "MAI", "MAK",
	"MAL", "MAR", "MB", "MC", "MD", "ME", "MED", "MEG", "MEI", "MEK", "MEL", "MEP", "MER",
	"MES", "MET", "MG", "MGH", "MGN", "MH", "MHL", "MI", "MIL", "MK", "ML", "MM", "MN",
	"MO", "MOD", "MOL", "MON", "MOS", "MQ", "MR", "MS", "MSP", "MST", "MT", "MTK", "MTL",
	"MU", "MUB", "MUL", "MUN", "MUR", "MVL", "MW", "MY", "MYK", "MZ", "MZG", "N", "NAB",
	"NAI", "NAU", "NB", "ND", "NDH", "NE", "NEA", "NEB", "NEC", "NEN", "NES", "NEU", "NEW",
	"NF", "NH", "NI", "NIB", "NK", "NL", "NM", "NMB", "NMS", "NO", "NOH", "NOL", "NOM",
	"NOR", "NP", "NR", "NRU", "NRW", "NT", "NU", "NVP", "NW", "NWM", "NY", "NZ", "OA",
	"OAL", "OB", "OBB", "OBG", "OC", "OCH", "OD", "OE", "OF", "OG", "OH", "OHA", "OHR",
	"OHV", "OHZ", "OK", "OL", "OLD", "OP", "OPR", "OR", "OS", "OSL", "OTT", "OTW", "OVI",
	"OVL", "OVP", "OZ", "P", "PA", "PAF", "PAN", "PAR", "PB", "PCH", "PE", "PEG", "PER",
	"PF", "PI", "PIR", "PK", "PL", "PLO", "PM", "PN", "PR", "PRU", "PS", "PW", "PZ", "QFT",
	"QLB", "R", "RA", "RC", "RD", "RDG", "RE", "REG", "REH", "REI", "RG", "RH", "RI",
	"RID", "RIE", "RL", "RM", "RN", "RO", "ROD", "ROF", "ROH", "ROK", "ROL", "ROS", "ROT",
	"ROW", "RPL", "RS", "RSL", "RT", "RU", "RUD", "RUG", "RV", "RW", "RWL", "RY", "RZ",
	"S", "SAB", "SAD", "SAK", "SAL", "SAN", "SAW", "SB", "SBG", "SBK", "SC", "SCZ", "SD",
	"SDH", "SDL", "SDT", "SE", "SEB", "SEE", "SEF", "SEL", "SF", "SFA", "SFB", "SFT", "SG",
	"SGH", "SH", "SHA", "SHG", "SHK", "SHL", "SI", "SIG", "SIM", "SK", "SL", "SLE", "SLF",
	"SLG", "SLN", "SLS", "SLU", "SLZ", "SM", "SMU", "SN", "SNH", "SO", "SOB", "SOG", "SOK",
	"SOL", "SOM", "SON", "SP", "SPB", "SPN", "SPR", "SR", "SRB", "SRO", "ST", "STA", "STB",
	"STD", "STE", "STH", "STL", "STO", "SU", "SUL", "SUW", "SW", "SWA", "SY", "SZ", "SZB",
	"TBB", "TE", "TET", "TF", "TG", "THL", "TIR", "TO", "TOL", "TON", "TP", "TR", "TS",
	"TT", "TU", "TUT", "UB", "UE", "UEM", "UER", "UFF", "UH", "UL", "UM", "UN", "USI", "V",
	"VAI", "VB", "VEC", "VER", "VIB", "VIE", "VIT", "VK", "VL", "VOF", "VOH", "VS", "W",
	"WA", "WAF", "WAK", "WAN", "WAR", "WAT", "WB", "WBS", "WD", "WDA", "WE", "WEB", "WEG",
	"WEL", "WEM", "WEN", "WER", "WES", "WF", "WG", "WHV", "WI", "WIL", "WIS", "WIT", "WIZ",
	"WK", "WL", "WLG", "WM", "WMS", "WN", "WND", "WO", "WOB", "WOH", "WOL", "WOR", "WOS",
	"WR", "WRN", "WS", "WSF", "WST", "WSW", "WT", "WTL", "WTM", "WU", "WUG", "WUM", "WUN",
	"WUR", "WW", "WZ", "WZL", "X", "Y", "Z", "ZE", "ZEL", "ZI", "ZIG", "ZP", "ZR", "ZS",
	"ZW",
};

/* hl_de_districts[hl_de_first[c - 'A']] is the first code starting with c;
 * the codes starting with c end before hl_de_first[c - 'A' + 1]. */
static const uint16_t hl_de_first[27] = {
	0, 35, 99, 113, 144, 178, 207, 252, 310, 317, 323, 357, 400, 455,
	495, 525, 548, 550, 588, 666, 682, 692, 705, 762, 763, 764, 773,
};
/* clang-format on */

#endif /* HOTLIST_PLATES_DE_DISTRICTS_H */
