#include "cli/commands.h"

int main(int argc, char** argv) { return delegsim::cli::Main(argc, argv); }
