using System.CommandLine;
using Telescope.Cli;

return TelescopeCli.Run(args);
