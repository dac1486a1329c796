slotRelease(ARGV[1], ARGV[2], ARGV[3])
return 1
