-- How many nodes project ARGV[5] holds (its node quota's use).
return provUsed(ARGV[5])
