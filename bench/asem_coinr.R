# COINr's default build of its ASEM example, from the same CSV files as examples/asem.yaml:
# denominate, impute by the Europe/Asia group mean, treat (winsorise up to 5 points), min-max
# 0-100, weighted arithmetic means; then the results table, written to a CSV file.
# The whole-process counterpart of `bianhe index build` in bench/bench_index_cli.py.
# Usage: Rscript bench/asem_coinr.R DIR_WITH_ASEM_iData_AND_iMeta OUT.csv
args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages(library(COINr))
iData <- read.csv(file.path(args[1], "ASEM_iData.csv"), check.names = FALSE)
iMeta <- read.csv(file.path(args[1], "ASEM_iMeta.csv"), check.names = FALSE,
                  na.strings = c("", "NA"))
coin <- new_coin(iData, iMeta, level_names = c("Indicator", "Pillar", "Sub-index", "Index"),
                 quietly = TRUE)
coin <- Denominate(coin, dset = "Raw")
coin <- Impute(coin, dset = "Denominated", f_i = "i_mean_grp", use_group = "EurAsia_group")
coin <- Treat(coin, dset = "Imputed", global_specs = list(f1_para = list(winmax = 5)))
coin <- Normalise(coin, dset = "Treated",
                  global_specs = list(f_n = "n_minmax", f_n_para = list(c(0, 100))))
coin <- Aggregate(coin, dset = "Normalised", f_ag = "a_amean")
write.csv(get_results(coin, dset = "Aggregated", tab_type = "Full"), args[2],
          row.names = FALSE)
