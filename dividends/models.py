# Dividend runs and lines arrive with the annual dividend capability (see docs/).
